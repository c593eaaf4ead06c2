using System.Collections.Immutable;
using k8s.Models;

using Orleans.Proxy.Translation.Annotations;

namespace Orleans.Proxy.Translation.Ingress;

/// <summary>
/// The Kubernetes objects a route source has gathered: from files or from informer caches.
/// The converter reads only this, so both sources produce the same routes.
/// </summary>
public sealed record ClusterObjects(
    ImmutableArray<V1Ingress> Ingresses,
    ImmutableArray<V1Service> Services,
    ImmutableArray<V1EndpointSlice> EndpointSlices)
{
    public static ClusterObjects Empty { get; } = new([], [], []);

    /// <summary>kubernetes.io/tls Secrets, for the certificates Ingresses name in spec.tls.</summary>
    public ImmutableArray<V1Secret> Secrets { get; init; } = [];
}
