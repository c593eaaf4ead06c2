using System.Collections.Immutable;
using k8s.Models;

using Orleans.Proxy.Translation.GatewayApi;

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

    /// <summary>The objects of several sources (files) as one set.</summary>
    public static ClusterObjects Combine(IEnumerable<ClusterObjects> parts)
    {
        var all = parts.ToList();
        return new ClusterObjects([.. all.SelectMany(o => o.Ingresses)], [.. all.SelectMany(o => o.Services)], [.. all.SelectMany(o => o.EndpointSlices)])
        {
            Secrets = [.. all.SelectMany(o => o.Secrets)],
            Namespaces = [.. all.SelectMany(o => o.Namespaces)],
            ConfigMaps = [.. all.SelectMany(o => o.ConfigMaps)],
            GatewayApi = new GatewayApiObjects(
                [.. all.SelectMany(o => o.GatewayApi.Classes)],
                [.. all.SelectMany(o => o.GatewayApi.Gateways)],
                [.. all.SelectMany(o => o.GatewayApi.HttpRoutes)],
                [.. all.SelectMany(o => o.GatewayApi.ReferenceGrants)]),
        };
    }

    /// <summary>kubernetes.io/tls Secrets, for the certificates Ingresses name in spec.tls.</summary>
    public ImmutableArray<V1Secret> Secrets { get; init; } = [];

    /// <summary>Gateway API objects: GatewayClasses, Gateways, HTTPRoutes and ReferenceGrants.</summary>
    public GatewayApiObjects GatewayApi { get; init; } = GatewayApiObjects.Empty;

    /// <summary>Namespaces, for their labels (a Gateway listener's allowedRoutes selector).</summary>
    public ImmutableArray<V1Namespace> Namespaces { get; init; } = [];

    /// <summary>ConfigMaps: the controller ConfigMap (<see cref="ConversionSettings.ConfigMap"/>) and those annotations name (custom-headers).</summary>
    public ImmutableArray<V1ConfigMap> ConfigMaps { get; init; } = [];
}

public sealed record GatewayApiObjects(
    ImmutableArray<GatewayClass> Classes,
    ImmutableArray<Gateway> Gateways,
    ImmutableArray<HttpRoute> HttpRoutes,
    ImmutableArray<ReferenceGrant> ReferenceGrants)
{
    public static GatewayApiObjects Empty { get; } = new([], [], [], []);

    public bool IsEmpty => Classes.IsEmpty && Gateways.IsEmpty && HttpRoutes.IsEmpty && ReferenceGrants.IsEmpty;
}
