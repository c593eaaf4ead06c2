using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Hosting.Kubernetes;
using Orleans.Messaging;

namespace Orleans.Proxy.Silo.Kubernetes.Membership;

/// <summary>Cluster:Clustering = Kubernetes, for silos (membership table + Kubernetes hosting) and for clients (gateways).</summary>
public static class KubernetesClusteringExtensions
{
    /// <summary>
    /// The membership table over the Kubernetes API, and Orleans' Kubernetes hosting: silos named after
    /// their pod, the pod IP advertised, and a silo whose pod is deleted declared dead at once.
    /// </summary>
    public static ISiloBuilder UseKubernetesClustering(this ISiloBuilder silo, IConfiguration configuration, int siloPort, int gatewayPort)
    {
        silo.Services.AddKubernetesApi(configuration);
        silo.Services.AddSingleton<IMembershipTable, KubernetesMembershipTable>();
        silo.Services.AddOptions<EndpointOptions>().Configure(endpoints =>
        {
            endpoints.SiloPort = siloPort;
            endpoints.GatewayPort = gatewayPort;

            // Advertise POD_IP (set here: Orleans' own defaults would otherwise pick a host address first)
            // and listen on every interface; a loopback POD_IP (a developer machine, tests) listens on loopback only.
            if (IPAddress.TryParse(Environment.GetEnvironmentVariable(KubernetesHostingOptions.PodIPEnvironmentVariable), out var ip))
            {
                endpoints.AdvertisedIPAddress = ip;
                if (IPAddress.IsLoopback(ip))
                {
                    endpoints.SiloListeningEndpoint = new IPEndPoint(ip, siloPort);
                    endpoints.GatewayListeningEndpoint = new IPEndPoint(ip, gatewayPort);
                }
            }
        });

        // Pod name, namespace and IP come from POD_NAME, POD_NAMESPACE and POD_IP (the downward API);
        // the API server is the one the membership table uses.
        silo.UseKubernetesHosting(hosting => hosting.Configure<IOptions<KubernetesClusteringOptions>>((h, options) =>
            h.GetClientConfiguration = () => KubernetesApi.CreateConfiguration(options.Value)));
        return silo;
    }

    /// <summary>Gateways for an Orleans client (an edge) from the silos' membership object.</summary>
    public static IClientBuilder UseKubernetesClustering(this IClientBuilder client, IConfiguration configuration)
    {
        client.Services.AddKubernetesApi(configuration);
        client.Services.AddSingleton<IGatewayListProvider, KubernetesGatewayListProvider>();
        return client;
    }

    private static void AddKubernetesApi(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<KubernetesClusteringOptions>()
            .Bind(configuration.GetSection(KubernetesClusteringOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<KubernetesClusteringOptions>, KubernetesClusteringOptionsValidator>();
        services.AddSingleton<KubernetesApi>();
    }
}

/// <summary>Names the key to set when no API server can be reached with the options.</summary>
internal sealed class KubernetesClusteringOptionsValidator : IValidateOptions<KubernetesClusteringOptions>
{
    public ValidateOptionsResult Validate(string? name, KubernetesClusteringOptions options) =>
        KubernetesApi.ExplainMissingConfiguration(options) is { } error ? ValidateOptionsResult.Fail(error) : ValidateOptionsResult.Success;
}
