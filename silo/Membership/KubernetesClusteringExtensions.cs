using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Hosting.Kubernetes;
using Orleans.Proxy.Hosting.Kubernetes;

namespace Orleans.Proxy.Silo.Membership;

/// <summary>Cluster:Clustering = Kubernetes for silos: the membership table and Kubernetes hosting (clients: see KubernetesGatewayExtensions).</summary>
public static class KubernetesClusteringExtensions
{
    /// <summary>
    /// The membership table over the Kubernetes API, and Orleans' Kubernetes hosting: silos named after
    /// their pod, the pod IP advertised, and a silo whose pod is deleted declared dead at once.
    /// </summary>
    /// <param name="listenAddress">Where the ports listen when that is not the advertised POD_IP (Cluster:ListenAddress).</param>
    public static ISiloBuilder UseKubernetesClustering(this ISiloBuilder silo, IConfiguration configuration, int siloPort, int gatewayPort, IPAddress? listenAddress = null)
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

            if (listenAddress is not null)
            {
                endpoints.SiloListeningEndpoint = new IPEndPoint(listenAddress, siloPort);
                endpoints.GatewayListeningEndpoint = new IPEndPoint(listenAddress, gatewayPort);
            }
        });

        // Pod name, namespace and IP come from POD_NAME, POD_NAMESPACE and POD_IP (the downward API);
        // the API server is the one the membership table uses.
        silo.UseKubernetesHosting(hosting => hosting.Configure<IOptions<KubernetesClusteringOptions>>((h, options) =>
            h.GetClientConfiguration = () => KubernetesApi.CreateConfiguration(options.Value)));
        return silo;
    }
}
