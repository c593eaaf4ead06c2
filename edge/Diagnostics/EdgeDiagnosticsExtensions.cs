using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace Orleans.Proxy.Edge.Diagnostics;

internal static class EdgeDiagnosticsExtensions
{
    /// <summary>The edge's part of diagnostics: /diag/explain and YARP's counters as metrics (the listener, token and /metrics are shared with the silo).</summary>
    public static WebApplicationBuilder AddEdgeDiagnostics(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<RequestExplainer>();
        builder.Services.AddSingleton<YarpMetrics>();
        builder.Services.ConfigureOpenTelemetryMeterProvider((services, metrics) =>
        {
            // Resolving the listener starts it; its meter is then collected with the others.
            services.GetRequiredService<YarpMetrics>();
            metrics.AddMeter(YarpMetrics.MeterName);
        });
        return builder;
    }

    /// <summary>YARP on the public listener, and the same endpoints behind /diag/explain's matcher.</summary>
    public static WebApplication MapReverseProxyWithExplain(this WebApplication app)
    {
        var endpoints = (IEndpointRouteBuilder)app;
        var before = endpoints.DataSources.Count;
        app.MapReverseProxy();
        app.Services.GetRequiredService<RequestExplainer>().UseEndpoints(app, [.. endpoints.DataSources.Skip(before)]);
        return app;
    }
}
