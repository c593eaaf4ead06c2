using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Orleans.Proxy.Hosting.Diagnostics;

/// <summary>
/// Requires "Authorization: Bearer &lt;token&gt;" on every diagnostics path except /health (probes
/// carry no token), unless Diagnostics:Insecure is set. As middleware on the diagnostics branch it
/// also covers what others map there: /metrics, the dashboard, feature endpoints.
/// </summary>
internal sealed class DiagnosticsToken
{
    private readonly byte[]? _token;

    public DiagnosticsToken(IOptions<DiagnosticsOptions> options)
    {
        var o = options.Value;
        var token = o.Token is { Length: > 0 } ? o.Token : o.TokenFile is { Length: > 0 } ? File.ReadAllText(o.TokenFile).Trim() : null;
        _token = o.Insecure ? null : Encoding.UTF8.GetBytes(token is { Length: > 0 } ? token
            : throw new OptionsValidationException(DiagnosticsOptions.Section, typeof(DiagnosticsOptions), ["Diagnostics:Token (or the file named by Diagnostics:TokenFile) is empty"]));
    }

    public bool IsAuthorized(HttpContext context)
    {
        if (_token is null || context.Request.Path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var header = context.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        var presented = header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()) : [];
        return CryptographicOperations.FixedTimeEquals(presented, _token);
    }

    public static IApplicationBuilder UseDiagnosticsToken(IApplicationBuilder app)
    {
        var token = app.ApplicationServices.GetRequiredService<DiagnosticsToken>();
        return app.Use((context, next) =>
        {
            if (token.IsAuthorized(context))
            {
                return next(context);
            }

            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return Task.CompletedTask;
        });
    }
}
