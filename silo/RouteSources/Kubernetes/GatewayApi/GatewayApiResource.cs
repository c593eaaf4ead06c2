using k8s;
using System.Runtime.CompilerServices;
using System.Text.Json;
using k8s.Models;
using Orleans.Proxy.Translation.GatewayApi;

namespace Orleans.Proxy.Silo.RouteSources.Kubernetes.GatewayApi;

/// <summary>
/// One Gateway API resource's list and watch calls, through KubernetesClient's custom-object API.
/// GatewayClass, Gateway and HTTPRoute are read at v1; ReferenceGrant at v1beta1, which every
/// standard-channel release serves (v1 only from Gateway API v1.5).
/// </summary>
internal sealed record GatewayApiResource(string Kind, string Version, string Plural, bool Namespaced)
{
    public static readonly GatewayApiResource GatewayClasses = new("GatewayClass", "v1", GatewayClass.Plural, Namespaced: false);
    public static readonly GatewayApiResource Gateways = new("Gateway", "v1", Gateway.Plural, Namespaced: true);
    public static readonly GatewayApiResource HttpRoutes = new(HttpRoute.KindName, "v1", HttpRoute.Plural, Namespaced: true);
    public static readonly GatewayApiResource ReferenceGrants = new("ReferenceGrant", "v1beta1", ReferenceGrant.Plural, Namespaced: true);

    public async Task<(IEnumerable<T> Items, string ResourceVersion)> ListAsync<T>(IKubernetes client, InformerScope scope, CancellationToken cancellationToken)
    {
        var list = !Namespaced
            ? await client.CustomObjects.ListClusterCustomObjectAsync<CustomResourceList<T>>(GatewayApiGroup.Group, Version, Plural, cancellationToken: cancellationToken)
            : scope.Namespace is null
                ? await client.CustomObjects.ListCustomObjectForAllNamespacesAsync<CustomResourceList<T>>(GatewayApiGroup.Group, Version, Plural, cancellationToken: cancellationToken)
                : await client.CustomObjects.ListNamespacedCustomObjectAsync<CustomResourceList<T>>(
                    GatewayApiGroup.Group, Version, scope.Namespace, Plural, fieldSelector: scope.FieldSelector, cancellationToken: cancellationToken);
        return (list.Items, list.Metadata?.ResourceVersion ?? string.Empty);
    }

    public async IAsyncEnumerable<(WatchEventType, T)> WatchAsync<T>(
        IKubernetes client, InformerScope scope, string resourceVersion, int timeoutSeconds, Action<Exception> onError,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var events = !Namespaced
            ? client.CustomObjects.WatchListClusterCustomObjectAsync(GatewayApiGroup.Group, Version, Plural, allowWatchBookmarks: true,
                resourceVersion: resourceVersion, timeoutSeconds: timeoutSeconds, onError: onError, cancellationToken: cancellationToken)
            : scope.Namespace is null
                ? client.CustomObjects.WatchListCustomObjectForAllNamespacesAsync(GatewayApiGroup.Group, Version, Plural, allowWatchBookmarks: true,
                    resourceVersion: resourceVersion, timeoutSeconds: timeoutSeconds, onError: onError, cancellationToken: cancellationToken)
                : client.CustomObjects.WatchListNamespacedCustomObjectAsync(GatewayApiGroup.Group, Version, scope.Namespace, Plural, allowWatchBookmarks: true,
                    fieldSelector: scope.FieldSelector, resourceVersion: resourceVersion, timeoutSeconds: timeoutSeconds, onError: onError, cancellationToken: cancellationToken);
        await foreach (var (type, item) in events)
        {
            // Custom-object watches yield raw JSON: read it into the model as a list item is.
            yield return (type, KubernetesJson.Deserialize<T>(((JsonElement)item).GetRawText()));
        }
    }
}
