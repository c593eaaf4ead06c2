using System.Collections.Immutable;
using Orleans.Proxy.Routing;

using Orleans.Proxy.Translation.Annotations;

namespace Orleans.Proxy.Translation.Ingress;

/// <summary>
/// What the grains should hold: routes per host, backends per cluster (their <see cref="BackendSpec.Version"/>
/// is 0: the publisher stamps it), and what was refused.
/// </summary>
public sealed record DesiredState(
    ImmutableSortedDictionary<string, ImmutableArray<RouteSpec>> Hosts,
    ImmutableSortedDictionary<string, BackendSpec> Backends,
    ImmutableArray<Rejection> Rejections)
{
    /// <summary>TLS certificates by Secret ("namespace/name"), Version 0 as for backends.</summary>
    public ImmutableSortedDictionary<string, TlsCertificateSpec> Certificates { get; init; } = ImmutableSortedDictionary<string, TlsCertificateSpec>.Empty;

    /// <summary>Ingresses refused whole ("Ingress shop/web"), as opposed to one bad path: <see cref="LastGood.LastGoodVersions"/> serves their previous version.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public ImmutableArray<string> Refused { get; init; } = [];

    /// <summary>The status the Gateway API objects that are ours should show (the controller writes it back); null without Gateway API objects.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public GatewayApi.GatewayApiStatus? GatewayApi { get; init; }
}
