using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Proxy.Edge.AccessLog;
using Orleans.Proxy.Edge.Affinity;
using Orleans.Proxy.Edge.Authentication;
using Orleans.Proxy.Edge.Cors;
using Orleans.Proxy.Edge.Caching;
using Orleans.Proxy.Edge.Diagnostics;
using Orleans.Proxy.Edge.Health;
using Orleans.Proxy.Edge.HttpRoutes;
using Orleans.Proxy.Edge.IngressFeatures;
using Orleans.Proxy.Edge.IngressNginx;
using Orleans.Proxy.Edge.Matching;
using Orleans.Proxy.Edge.RateLimiting;
using Orleans.Proxy.Edge.Routing;
using Orleans.Proxy.Edge.Tls;
using Orleans.Proxy.Hosting.Diagnostics;
using Orleans.Proxy.Hosting;
using Orleans.Proxy.Hosting.Kubernetes;
using Orleans.Proxy.Hosting.Tls;

namespace Orleans.Proxy.Edge.Hosting;

public static partial class EdgeHostingExtensions
{
    /// <summary>
    /// The edge: YARP fed from the grains, the diagnostics listener, and an Orleans client of the
    /// silo cluster. A host that registered an <see cref="IClusterClient"/> first (the embedded host's
    /// in-process silo, a test's cluster) is used instead.
    /// </summary>
    public static WebApplicationBuilder AddOrleansProxyEdge(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        AddEdgeDefaults(builder);
        RequestFraming.RefuseBareLineFeeds();
        var edge = configuration.GetSection(EdgeOptions.Section).Get<EdgeOptions>() ?? new EdgeOptions();
        var diagnostics = configuration.GetSection(DiagnosticsOptions.Section).Get<DiagnosticsOptions>() ?? new DiagnosticsOptions();
        ConfigureListeners(builder, edge, diagnostics);
        builder.AddProxyDiagnostics("orleans-proxy-edge");
        // The client is registered before the edge's services, so it is up before they call it.
        if (!builder.Services.Any(s => s.ServiceType == typeof(IClusterClient)))
        {
            AddClusterClient(builder);
        }

        builder.Services.AddOptions<EdgeOptions>().Bind(configuration.GetSection(EdgeOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<EdgeIdentity>();
        builder.Services.AddSingleton<EdgeListeners>();
        builder.Services.AddSingleton<ClusterConnection>();
        builder.Services.AddSingleton<BackendStates>();
        builder.Services.AddSingleton<RouteTableCache>();
        builder.Services.AddSingleton<CatalogSync>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<CatalogSync>());
        builder.AddSharedRateLimiting();
        builder.Services.AddGrainCallCounter();
        builder.Services.AddReverseProxy().LoadFromMemory([], []).AddIngressFeatures().AddIngressNginx().AddEdgeCors().AddEdgeAuthentication(configuration).AddHttpRoutes(configuration).AddRouteMatching(configuration).AddConfigValidationCache();
        builder.AddEdgeDiagnostics();
        builder.AddAccessLog();
        builder.Services.AddEdgeHealth(configuration).AddEdgeAffinity(configuration);
        builder.Services.AddHostedService<StartupBanner>();
        builder.Services.AddEdgeTls();
        builder.Services.AddEdgeDrain(edge);
        builder.AddEdgeCaching();

        return builder;
    }

    /// <summary>
    /// Diagnostics on their own listener; everything else on the public listener is logged, matched
    /// by the edge's matcher (404 or 400 when nothing may serve it) and goes to YARP.
    /// </summary>
    public static WebApplication MapOrleansProxyEdge(this WebApplication app)
    {
        app.MapProxyDiagnostics(endpoints => endpoints.MapEdgeDiagnostics());
        app.UseEdgeDrain();
        app.UseAccessLog();
        app.UseStrictRequestFraming();
        app.UseRouteMatching();
        // Keeps the endpoint the matcher set (and stops WebApplication adding a routing step of its own first).
        app.UseRouting();
        app.UseSharedRateLimiting();
        app.MapMatchedReverseProxy(ProxyPipeline.Configure);
        app.RunMatchedRoute();
        return app;
    }

    private static void ConfigureListeners(WebApplicationBuilder builder, EdgeOptions edge, DiagnosticsOptions diagnostics)
    {
        var errors = new List<string>();
        if (!DiagnosticsListener.TryParseAddress(edge.Address, out var publicAddress))
        {
            errors.Add($"Edge:Address '{edge.Address}' is not an IP address (use e.g. 0.0.0.0 or 127.0.0.1)");
        }

        if (edge.HttpsPort != 0 && (edge.HttpsPort == edge.Port || edge.HttpsPort == diagnostics.Port))
        {
            errors.Add($"Edge:HttpsPort {edge.HttpsPort} is also Edge:Port or Diagnostics:Port: each listener needs its own port");
        }

        if (edge.Port != 0 && edge.Port == diagnostics.Port)
        {
            errors.Add($"Edge:Port and Diagnostics:Port are both {edge.Port}: diagnostics need a port of their own");
        }

        if (diagnostics.MetricsPort is { } metrics && metrics != 0 && (metrics == edge.Port || metrics == edge.HttpsPort))
        {
            errors.Add($"Diagnostics:MetricsPort {metrics} is also Edge:Port or Edge:HttpsPort: each listener needs its own port");
        }

        if (edge.RequestHeadersTimeout <= TimeSpan.Zero)
        {
            errors.Add($"Edge:RequestHeadersTimeout {edge.RequestHeadersTimeout} must be above zero (e.g. 00:00:30)");
        }

        if (edge.KeepAliveTimeout <= TimeSpan.Zero)
        {
            errors.Add($"Edge:KeepAliveTimeout {edge.KeepAliveTimeout} must be above zero (e.g. 00:02:10)");
        }

        if (!(edge.MinRequestBodyBytesPerSecond >= 0) || double.IsInfinity(edge.MinRequestBodyBytesPerSecond))
        {
            errors.Add($"Edge:MinRequestBodyBytesPerSecond {edge.MinRequestBodyBytesPerSecond} must be a number of bytes per second, 0 or above (0 turns the check off)");
        }

        // Kestrel checks data rates once a second, and refuses a grace period that is not longer than that.
        if (edge.MinRequestBodyBytesPerSecond > 0 && edge.MinRequestBodyGracePeriod <= TimeSpan.FromSeconds(1))
        {
            errors.Add($"Edge:MinRequestBodyGracePeriod {edge.MinRequestBodyGracePeriod} must be longer than one second (e.g. 00:00:05)");
        }

        if (errors.Count > 0)
        {
            throw new OptionsValidationException(EdgeOptions.Section, typeof(EdgeOptions), errors);
        }

        builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = edge.InlineScheduling);
        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            var listeners = kestrel.ApplicationServices.GetRequiredService<EdgeListeners>();
            kestrel.Limits.RequestHeadersTimeout = edge.RequestHeadersTimeout;
            kestrel.Limits.KeepAliveTimeout = edge.KeepAliveTimeout;
            kestrel.Limits.MinRequestBodyDataRate = edge.MinRequestBodyBytesPerSecond > 0
                ? new MinDataRate(edge.MinRequestBodyBytesPerSecond, edge.MinRequestBodyGracePeriod)
                : null;
            kestrel.Listen(publicAddress, edge.Port, listen => listeners.Public = listen);
            kestrel.ListenHttps(publicAddress, edge);
        });
    }

    private static void AddClusterClient(WebApplicationBuilder builder)
    {
        var cluster = ProxyClusterOptions.Read(builder.Configuration);
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = cluster.ClusterId;
                o.ServiceId = cluster.ServiceId;
            });
            if (cluster.Clustering == ClusteringMode.Kubernetes)
            {
                client.UseKubernetesClustering(builder.Configuration);
            }
            else
            {
                client.UseLocalhostClustering(cluster.GatewayPort, cluster.ServiceId, cluster.ClusterId);
            }

            client.UseClusterTls(builder.Configuration, cluster.Clustering);
            client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = cluster.GatewayRefreshPeriod);

            // Keep trying at start: an edge that comes up before the silos waits for them, unready.
            client.UseConnectionRetryFilter(async (exception, cancellationToken) =>
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                return true;
            });
        });
    }

    /// <summary>
    /// Where the edge's defaults differ from the silo's (the embedded host applies them before it adds its silo); any configuration source overrides them.
    /// The Orleans dashboard (with its grain-call profiling) cost the embedded edge 72 MB of idle RSS
    /// and about a third of its throughput on the benchmark: opt in with Diagnostics:Dashboard=true.
    /// </summary>
    public static void AddEdgeDefaults(this WebApplicationBuilder builder) =>
        builder.AddConfigurationDefaults(ProxyHostDefaults.Logging.Append(new KeyValuePair<string, string?>($"{DiagnosticsOptions.Section}:{nameof(DiagnosticsOptions.Dashboard)}", "false")));
}
