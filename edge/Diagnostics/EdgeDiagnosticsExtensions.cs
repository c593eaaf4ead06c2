using Microsoft.AspNetCore.Builder;
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
}
