using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Orleans.Proxy.Silo.RouteSources.Kubernetes.GatewayApi;

/// <summary>A list response of a custom resource (KubernetesClient types only its built-in lists).</summary>
internal sealed class CustomResourceList<T> : IKubernetesObject<V1ListMeta>, IItems<T>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = string.Empty;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = string.Empty;

    [JsonPropertyName("metadata")]
    public V1ListMeta Metadata { get; set; } = new();

    [JsonPropertyName("items")]
    public IList<T> Items { get; set; } = [];
}
