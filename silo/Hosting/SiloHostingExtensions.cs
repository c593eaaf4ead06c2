using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Orleans.Dashboard;
using Orleans.Proxy.Hosting.Diagnostics;
using Orleans.Proxy.Routing;
using Orleans.Proxy.Translation.Files;
using Orleans.Proxy.Silo.RouteSources.Files;
using Orleans.Proxy.Silo.RouteSources.Kubernetes;
using Orleans.Proxy.Hosting.Kubernetes;
using Orleans.Proxy.Silo.Membership;
using Orleans.Proxy.Translation.Annotations;
using Orleans.Proxy.Translation.Ingress;
using Orleans.Proxy.Silo.Publishing;

using Orleans.Proxy.Hosting;
namespace Orleans.Proxy.Silo.Hosting;

public static class SiloHostingExtensions
{
    /// <summary>Hosts the Orleans silo with the proxy's grains and route sources (silo process and embedded edge).</summary>
    public static IHostApplicationBuilder AddOrleansProxySilo(this IHostApplicationBuilder builder)
    {
        var cluster = ProxyClusterOptions.Read(builder.Configuration);
        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = cluster.ClusterId;
                o.ServiceId = cluster.ServiceId;
            });
            if (cluster.Clustering == ClusteringMode.Kubernetes)
            {
                silo.UseKubernetesClustering(builder.Configuration, cluster.SiloPort, cluster.GatewayPort, cluster.ListenAddress is { } listen ? IPAddress.Parse(listen) : null);
            }
            else
            {
                silo.UseLocalhostClustering(cluster.SiloPort, cluster.GatewayPort, new IPEndPoint(IPAddress.Loopback, cluster.PrimarySiloPort));
            }

            silo.UseClusterTls(builder.Configuration, cluster.Clustering);
            silo.Configure<SiloMessagingOptions>(o => o.ClientDropTimeout = cluster.ClientDropTimeout);
            silo.Configure<GrainDirectoryOptions>(o =>
            {
                o.MaximumCacheTTL = cluster.DirectoryCacheTtl;
                o.CacheSize = cluster.DirectoryCacheSize;
            });

            if (builder.Configuration.GetValue($"{DiagnosticsOptions.Section}:{nameof(DiagnosticsOptions.Dashboard)}", true))
            {
                silo.AddDashboard();
                silo.Services.AddSingleton<IDiagnosticsEndpointContributor, DashboardEndpoints>();
            }
        });
        builder.Services.AddOrleansProxyGrainServices();
        builder.Services.AddRouteSources(builder.Configuration);
        builder.Services.AddBackendProbes();
        return builder;
    }

    /// <summary>The publisher and reconciler, plus the file source when Routes:Directory is set.</summary>
    internal static IServiceCollection AddRouteSources(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RoutesOptions>().Bind(configuration.GetSection(RoutesOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<RoutePublisher>();
        services.AddSingleton<RouteReconciler>();
        services.AddHostedService(sp => sp.GetRequiredService<RouteReconciler>());
        if (configuration.GetSection(RoutesOptions.Section).Get<RoutesOptions>()?.Source == RouteSource.Kubernetes)
        {
            services.AddIngressController(configuration);
            return services;
        }

        var directory = configuration[$"{RoutesOptions.Section}:{nameof(RoutesOptions.Directory)}"];
        if (!string.IsNullOrEmpty(directory))
        {
            if (!Directory.Exists(directory))
            {
                throw new OptionsValidationException($"{RoutesOptions.Section}:{nameof(RoutesOptions.Directory)}", typeof(RoutesOptions),
                    [$"Routes:Directory '{Path.GetFullPath(directory)}' does not exist: create it or pass --Routes:Directory <folder of Ingress YAML>"]);
            }

            services.AddHostedService<FileRouteSource>();
        }

        return services;
    }

    /// <summary>The Orleans dashboard on the diagnostics listener, behind its token, where a silo runs.</summary>
    private sealed class DashboardEndpoints : IDiagnosticsEndpointContributor
    {
        public void Map(IEndpointRouteBuilder endpoints) => endpoints.MapOrleansDashboard("/dashboard");
    }
}
