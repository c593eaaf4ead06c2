using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Orleans.Proxy.Translation.GatewayApi;

namespace Orleans.Proxy.IntegrationTests.Kubernetes.FakeApiServer;

/// <summary>One API resource the fake server serves, bound to KubernetesClient's model type for it.</summary>
public sealed record ResourceKind(string Group, string Version, string Plural, string Kind, bool Namespaced, bool HasStatus, Type ModelType)
{
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>Round-trips JSON through the model type: fields the real schema lacks are dropped, as the API server prunes them.</summary>
    internal Func<JsonNode, JsonObject> Normalize { get; init; } = null!;
}

/// <summary>The resources the proxy uses (controller, membership, hosting), with their real paths and kinds.</summary>
public static class ResourceKinds
{
    public static readonly ResourceKind Services = Core<V1Service>("services", "Service", hasStatus: true);
    public static readonly ResourceKind Secrets = Core<V1Secret>("secrets", "Secret");
    public static readonly ResourceKind ConfigMaps = Core<V1ConfigMap>("configmaps", "ConfigMap");
    public static readonly ResourceKind Events = Core<Corev1Event>("events", "Event");
    public static readonly ResourceKind Pods = Core<V1Pod>("pods", "Pod", hasStatus: true);
    public static readonly ResourceKind Namespaces = Of<V1Namespace>("", "v1", "namespaces", "Namespace", namespaced: false, hasStatus: true);
    public static readonly ResourceKind EndpointSlices = Of<V1EndpointSlice>("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice");
    public static readonly ResourceKind Ingresses = Of<V1Ingress>("networking.k8s.io", "v1", "ingresses", "Ingress", hasStatus: true);
    public static readonly ResourceKind IngressClasses = Of<V1IngressClass>("networking.k8s.io", "v1", "ingressclasses", "IngressClass", namespaced: false);
    public static readonly ResourceKind Leases = Of<V1Lease>("coordination.k8s.io", "v1", "leases", "Lease");
    public static readonly ResourceKind EventsV1 = Of<Eventsv1Event>("events.k8s.io", "v1", "events", "Event");

    // The Gateway API CRDs, at the versions the controller reads.
    public static readonly ResourceKind GatewayClasses = Of<GatewayClass>(GatewayApiGroup.Group, "v1", GatewayClass.Plural, "GatewayClass", namespaced: false, hasStatus: true);
    public static readonly ResourceKind Gateways = Of<Gateway>(GatewayApiGroup.Group, "v1", Gateway.Plural, "Gateway", hasStatus: true);
    public static readonly ResourceKind HttpRoutes = Of<HttpRoute>(GatewayApiGroup.Group, "v1", HttpRoute.Plural, HttpRoute.KindName, hasStatus: true);
    public static readonly ResourceKind ReferenceGrants = Of<ReferenceGrant>(GatewayApiGroup.Group, "v1beta1", ReferenceGrant.Plural, "ReferenceGrant");

    public static IReadOnlyList<ResourceKind> All { get; } =
        [Services, Secrets, ConfigMaps, Events, Pods, Namespaces, EndpointSlices, Ingresses, IngressClasses, Leases, EventsV1, GatewayClasses, Gateways, HttpRoutes, ReferenceGrants];

    public static ResourceKind? Find(string group, string version, string plural) =>
        All.FirstOrDefault(k => k.Group == group && k.Version == version && k.Plural == plural);

    public static ResourceKind For(Type modelType) =>
        All.FirstOrDefault(k => k.ModelType == modelType) ?? throw new ArgumentException($"The fake API server does not serve {modelType.Name}", nameof(modelType));

    private static ResourceKind Core<T>(string plural, string kind, bool hasStatus = false)
        where T : IKubernetesObject<V1ObjectMeta> =>
        Of<T>("", "v1", plural, kind, namespaced: true, hasStatus);

    private static ResourceKind Of<T>(string group, string version, string plural, string kind, bool namespaced = true, bool hasStatus = false)
        where T : IKubernetesObject<V1ObjectMeta> =>
        new(group, version, plural, kind, namespaced, hasStatus, typeof(T))
        {
            Normalize = node => (JsonObject)JsonNode.Parse(KubernetesJson.Serialize(KubernetesJson.Deserialize<T>(node)))!,
        };
}
