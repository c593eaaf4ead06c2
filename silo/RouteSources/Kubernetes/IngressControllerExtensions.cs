using k8s;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Orleans.Proxy.Silo.RouteSources.Kubernetes;

internal static class IngressControllerExtensions
{
    /// <summary>The Kubernetes route source: informers, leader election, reconciler, status and Events.</summary>
    public static IServiceCollection AddIngressController(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<IngressControllerOptions>().Bind(configuration.GetSection(IngressControllerOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<IKubernetes>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<IngressControllerOptions>>().Value;
            return new k8s.Kubernetes(options.ApiServerUrl is { Length: > 0 } url
                ? new KubernetesClientConfiguration { Host = url }
                : KubernetesClientConfiguration.InClusterConfig());
        });
        services.AddSingleton<IngressController>();
        services.AddHostedService(sp => sp.GetRequiredService<IngressController>());
        return services;
    }
}
