using System.ComponentModel.DataAnnotations;

namespace Orleans.Proxy.Hosting.Kubernetes;

/// <summary>
/// Section "Cluster:Kubernetes": where the membership object lives and how to reach the API server.
/// In a pod every value has a default (downward-API env and the service account); out of a cluster,
/// the current kubeconfig context is used. Silos also read POD_NAME, POD_NAMESPACE and POD_IP, as
/// Orleans' Kubernetes hosting does.
/// </summary>
public sealed class KubernetesClusteringOptions
{
    public const string Section = "Cluster:Kubernetes";

    /// <summary>Namespace of the membership object and heartbeat Leases. Default: env POD_NAMESPACE, then the service account's, then the kubeconfig context's, then "default".</summary>
    public string? Namespace { get; set; }

    /// <summary>API server URL, overriding in-cluster config and kubeconfig (e.g. `kubectl proxy` at http://127.0.0.1:8001).</summary>
    public string? ApiServer { get; set; }

    /// <summary>Kubeconfig file used when not in a pod. Default: env KUBECONFIG, then ~/.kube/config.</summary>
    public string? KubeConfig { get; set; }

    /// <summary>Timeout of one API request; a membership call that times out fails and Orleans retries it.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
