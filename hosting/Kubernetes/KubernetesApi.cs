using k8s;
using Microsoft.Extensions.Options;

namespace Orleans.Proxy.Hosting.Kubernetes;

/// <summary>The API client and namespace for clustering, built once from <see cref="KubernetesClusteringOptions"/>.</summary>
public sealed class KubernetesApi : IDisposable
{
    public KubernetesApi(IOptions<KubernetesClusteringOptions> options)
    {
        Configuration = CreateConfiguration(options.Value);
        Configuration.HttpClientTimeout = options.Value.RequestTimeout;
        Namespace = ResolveNamespace(options.Value, Configuration);
        Client = new k8s.Kubernetes(Configuration);
    }

    public KubernetesClientConfiguration Configuration { get; }

    public IKubernetes Client { get; }

    public string Namespace { get; }

    /// <summary>ApiServer if set, in-cluster config in a pod, else the kubeconfig file.</summary>
    public static KubernetesClientConfiguration CreateConfiguration(KubernetesClusteringOptions options)
    {
        if (!string.IsNullOrEmpty(options.ApiServer))
        {
            return new KubernetesClientConfiguration { Host = options.ApiServer };
        }

        return KubernetesClientConfiguration.IsInCluster()
            ? KubernetesClientConfiguration.InClusterConfig()
            : KubernetesClientConfiguration.BuildConfigFromConfigFile(options.KubeConfig);
    }

    /// <summary>Why no API server can be reached with these options, or null when one can.</summary>
    public static string? ExplainMissingConfiguration(KubernetesClusteringOptions options)
    {
        if (!string.IsNullOrEmpty(options.ApiServer))
        {
            return Uri.TryCreate(options.ApiServer, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
                ? null
                : $"{KubernetesClusteringOptions.Section}:{nameof(options.ApiServer)} '{options.ApiServer}' is not an http(s) URL";
        }

        if (KubernetesClientConfiguration.IsInCluster())
        {
            return null;
        }

        var kubeConfig = options.KubeConfig ?? Environment.GetEnvironmentVariable("KUBECONFIG")?.Split(Path.PathSeparator)[0]
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config");
        return File.Exists(kubeConfig)
            ? null
            : $"not in a pod and no kubeconfig at '{kubeConfig}': run in Kubernetes, or set {KubernetesClusteringOptions.Section}:{nameof(options.KubeConfig)} or {KubernetesClusteringOptions.Section}:{nameof(options.ApiServer)}";
    }

    public void Dispose() => (Client as IDisposable)?.Dispose();

    /// <summary>The option, env POD_NAMESPACE, the service account's namespace, the kubeconfig context's, then "default".</summary>
    private static string ResolveNamespace(KubernetesClusteringOptions options, KubernetesClientConfiguration configuration)
    {
        if (!string.IsNullOrEmpty(options.Namespace))
        {
            return options.Namespace;
        }

        if (Environment.GetEnvironmentVariable("POD_NAMESPACE") is { Length: > 0 } pod)
        {
            return pod;
        }

        return string.IsNullOrEmpty(configuration.Namespace) ? "default" : configuration.Namespace;
    }
}
