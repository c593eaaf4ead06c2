using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Hosting;
using Orleans.Messaging;

namespace Orleans.Proxy.Hosting.Kubernetes;

/// <summary>Cluster:Clustering = Kubernetes for clients (edges), and the API access silos use too.</summary>
public static class KubernetesGatewayExtensions
{
    /// <summary>Gateways for an Orleans client (an edge) from the silos' membership object.</summary>
    public static IClientBuilder UseKubernetesClustering(this IClientBuilder client, IConfiguration configuration)
    {
        client.Services.AddKubernetesApi(configuration);
        client.Services.AddSingleton<IGatewayListProvider, KubernetesGatewayListProvider>();
        return client;
    }

    /// <summary>The API server options (validated on start, naming the key) and one shared client, for silos and edges.</summary>
    public static void AddKubernetesApi(this IServiceCollection services, IConfiguration configuration)
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
