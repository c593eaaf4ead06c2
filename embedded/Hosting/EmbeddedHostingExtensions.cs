using Orleans.Proxy.Edge.Hosting;
using Orleans.Proxy.Embedded.Demo;
using Orleans.Proxy.Hosting;
using Orleans.Proxy.Hosting.Diagnostics;
using Orleans.Proxy.Silo.Hosting;
using Orleans.Proxy.Silo.Publishing;

namespace Orleans.Proxy.Embedded.Hosting;

public static class EmbeddedHostingExtensions
{
    /// <summary>
    /// A silo and an edge in one process: the silo is registered first, so the edge uses its
    /// in-process cluster client instead of connecting to a gateway.
    /// </summary>
    public static WebApplicationBuilder AddOrleansProxyEmbedded(this WebApplicationBuilder builder)
    {
        var demo = builder.Configuration.GetValue<bool>(EmbeddedArguments.DemoKey);
        if (demo)
        {
            AddDemoDefaults(builder);
        }

        // Before the silo reads them: the edge's defaults (no dashboard) hold in embedded mode too.
        builder.AddEdgeDefaults();
        // One process on a laptop has no load balancer to wait for: Ctrl+C stops at once (in-flight requests still finish).
        builder.AddConfigurationDefaults([new($"{EdgeOptions.Section}:{nameof(EdgeOptions.DrainPeriod)}", "00:00:00")]);
        builder.AddOrleansProxySilo();
        builder.AddOrleansProxyEdge();
        if (demo)
        {
            builder.Services.AddHostedService<DemoBackends>();
        }

        return builder;
    }

    /// <summary>--demo: loopback listeners, sample routes, no diagnostics token. Explicit settings still win.</summary>
    private static void AddDemoDefaults(WebApplicationBuilder builder)
    {
        var defaults = new Dictionary<string, string?>
        {
            [$"{EdgeOptions.Section}:{nameof(EdgeOptions.Address)}"] = "127.0.0.1",
            [$"{DiagnosticsOptions.Section}:{nameof(DiagnosticsOptions.Address)}"] = "127.0.0.1",
            [$"{DiagnosticsOptions.Section}:{nameof(DiagnosticsOptions.Insecure)}"] = "true",
            [$"{RoutesOptions.Section}:{nameof(RoutesOptions.Directory)}"] = Path.Combine(AppContext.BaseDirectory, "samples", "demo"),
        };
        builder.AddConfigurationDefaults(defaults);
    }
}
