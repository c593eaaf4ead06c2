using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Orleans.Proxy.Diagnostics;

namespace Orleans.Proxy.Hosting.Diagnostics;

/// <summary>
/// The diagnostics listener, its token, metrics and tracing: one implementation for the silo and
/// the edge. Each host adds its own endpoints in the callback of <see cref="MapProxyDiagnostics"/>.
/// </summary>
public static class DiagnosticsHostingExtensions
{
    /// <summary>Short flags shared by the silo and the edge command lines.</summary>
    public static string[] NormalizeArguments(string[] args) =>
        [.. args.Select(a => a == "--diag-insecure" ? $"--{DiagnosticsOptions.Section}:{nameof(DiagnosticsOptions.Insecure)}=true" : a)];

    /// <param name="serviceName">The service.name of metrics and traces ("orleans-proxy-edge", "orleans-proxy-silo").</param>
    public static WebApplicationBuilder AddProxyDiagnostics(this WebApplicationBuilder builder, string serviceName)
    {
        var options = builder.Configuration.GetSection(DiagnosticsOptions.Section).Get<DiagnosticsOptions>() ?? new DiagnosticsOptions();
        if (!DiagnosticsListener.TryParseAddress(options.Address, out var address))
        {
            throw new OptionsValidationException(DiagnosticsOptions.Section, typeof(DiagnosticsOptions),
                [$"Diagnostics:Address '{options.Address}' is not an IP address (use e.g. 0.0.0.0 or 127.0.0.1)"]);
        }

        var services = builder.Services;
        services.AddOptions<DiagnosticsOptions>().Bind(builder.Configuration.GetSection(DiagnosticsOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<DiagnosticsToken>();
        services.TryAddSingleton<DiagnosticsBinding>();
        services.TryAddSingleton<ProxyMetrics>();
        services.AddBackendDiagnosticsSection<BackendHealthDiagnostics>();
        services.AddClusterDiagnosticsView<RateLimitDiagnostics>();
        services.AddClusterDiagnosticsView<AffinityDiagnostics>();
        services.AddHostedService<InsecureDiagnosticsWarning>();
        services.AddHostedService(sp => ActivatorUtilities.CreateInstance<VersionBanner>(sp, serviceName));
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        builder.WebHost.ConfigureKestrel((_, kestrel) =>
        {
            var binding = kestrel.ApplicationServices.GetRequiredService<DiagnosticsBinding>();
            kestrel.Listen(address, options.Port, listen => binding.Listener = listen.MarkAsDiagnostics());
            if (options.MetricsPort is { } metricsPort)
            {
                kestrel.Listen(address, metricsPort, listen => binding.MetricsListener = listen.MarkAsMetrics());
            }
        });
        AddTelemetry(builder, serviceName);
        return builder;
    }

    /// <summary>
    /// Everything on the diagnostics listener: the token check, /metrics, /diag/version, the cluster view
    /// (/diag/cluster, read from the grains), what registered an <see cref="IDiagnosticsEndpointContributor"/>
    /// (the silo's Orleans dashboard), and the host's own endpoints. The public listener never reaches this branch.
    /// </summary>
    public static WebApplication MapProxyDiagnostics(this WebApplication app, Action<IEndpointRouteBuilder> mapHostEndpoints)
    {
        var contributors = app.Services.GetServices<IDiagnosticsEndpointContributor>().ToList();
        // The metrics listener: GET /metrics for Prometheus, no token, nothing else (404).
        app.MapWhen(context => context.IsMetricsConnection(), branch =>
        {
            branch.UseRouting();
            branch.UseEndpoints(endpoints => endpoints.MapPrometheusScrapingEndpoint());
        });
        app.MapWhen(context => context.IsDiagnosticsConnection(), branch =>
        {
            DiagnosticsToken.UseDiagnosticsToken(branch);
            branch.UseRouting();
            branch.UseEndpoints(endpoints =>
            {
                endpoints.MapPrometheusScrapingEndpoint();
                endpoints.MapGet("/diag/version", () => new { version = ProxyVersion.Current });
                endpoints.MapClusterDiagnostics();
                foreach (var contributor in contributors)
                {
                    contributor.Map(endpoints);
                }

                mapHostEndpoints(endpoints);
            });
        });
        return app;
    }

    /// <summary>
    /// Metrics always (scraped on the diagnostics port); traces only when an OTLP endpoint is
    /// configured, so an edge nobody traces creates no spans on its request path.
    /// </summary>
    private static void AddTelemetry(WebApplicationBuilder builder, string serviceName)
    {
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithMetrics(metrics => metrics
                .AddMeter(
                    ProxyMetrics.MeterName,
                    "Microsoft.Orleans",
                    "Microsoft.AspNetCore.Hosting",
                    "Microsoft.AspNetCore.Server.Kestrel",
                    "System.Net.Http",
                    // The runtime's own (GC pauses, heap, thread pool queue and threads): read at scrape time only,
                    // and what tells a GC stall or a starved thread pool from a slow backend.
                    "System.Runtime")
                // Two updates per request each (start, end) for what yarp_proxy_requests_current says: dropped, so nothing records them.
                .AddView("http.server.active_requests", MetricStreamConfiguration.Drop)
                .AddView("http.client.active_requests", MetricStreamConfiguration.Drop)
                // No response cache: every scrape reads the instruments now.
                .AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0));
        if (!string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            otel.WithTracing(tracing => tracing
                    .AddAspNetCoreInstrumentation(o => o.Filter = context => !context.IsDiagnosticsConnection())
                    .AddHttpClientInstrumentation()
                    .AddSource("Yarp.ReverseProxy", "Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application"))
                .UseOtlpExporter();
        }
    }
}
