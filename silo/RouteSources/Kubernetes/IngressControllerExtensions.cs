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
        services.AddOptions<Admission.AdmissionWebhookOptions>().Bind(configuration.GetSection(Admission.AdmissionWebhookOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        if (configuration.GetSection(Admission.AdmissionWebhookOptions.Section).Get<Admission.AdmissionWebhookOptions>()?.Enabled == true)
        {
            services.AddSingleton<Admission.AdmissionWebhookServer>();
            services.AddHostedService(sp => sp.GetRequiredService<Admission.AdmissionWebhookServer>());
        }

        return services;
    }

    /// <summary>
    /// ingress-nginx's flags, for those who know them: --default-ssl-certificate namespace/name,
    /// --configmap namespace/name and --watch-namespace a[,b] (each as "--flag value" or "--flag=value").
    /// </summary>
    public static string[] NormalizeArguments(string[] args)
    {
        var result = new List<string>(args.Length);
        for (var i = 0; i < args.Length; i++)
        {
            var (flag, value) = args[i].Split('=', 2) is [var f, var v] ? (f, v) : (args[i], null);
            if (flag is not ("--default-ssl-certificate" or "--watch-namespace" or "--configmap"))
            {
                result.Add(args[i]);
                continue;
            }

            if (value is null && i + 1 < args.Length)
            {
                value = args[++i];
            }

            if (flag == "--configmap")
            {
                result.Add($"--{Publishing.RoutesOptions.Section}:{nameof(Publishing.RoutesOptions.ConfigMap)}={value}");
            }
            else if (flag == "--default-ssl-certificate")
            {
                result.Add($"--{IngressControllerOptions.Section}:{nameof(IngressControllerOptions.DefaultSslCertificate)}={value}");
            }
            else
            {
                var namespaces = (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                result.AddRange(namespaces.Select((ns, n) => $"--{IngressControllerOptions.Section}:{nameof(IngressControllerOptions.Namespaces)}:{n}={ns}"));
            }
        }

        return [.. result];
    }
}
