using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Orleans.Proxy.Edge.AccessLog;

internal static class AccessLogExtensions
{
    /// <summary>The access log (section "AccessLog"); a test may register its own <see cref="AccessLogOutput"/> first.</summary>
    public static WebApplicationBuilder AddAccessLog(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<AccessLogOptions>().Bind(builder.Configuration.GetSection(AccessLogOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.TryAddSingleton(_ => AccessLogOutput.StandardOutput());
        builder.Services.AddSingleton<AccessLogWriter>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AccessLogWriter>());
        return builder;
    }

    /// <summary>Not in the pipeline at all when disabled: nothing is paid on the request path.</summary>
    public static IApplicationBuilder UseAccessLog(this IApplicationBuilder app) =>
        app.ApplicationServices.GetRequiredService<IOptions<AccessLogOptions>>().Value is { Enabled: true, SampleRate: > 0 }
            ? app.UseMiddleware<AccessLogMiddleware>()
            : app;
}
