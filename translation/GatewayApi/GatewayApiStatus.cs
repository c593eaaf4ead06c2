using System.Collections.Immutable;
using k8s.Models;

namespace Orleans.Proxy.Translation.GatewayApi;

public enum GatewayApiKind
{
    GatewayClass,
    Gateway,
    HTTPRoute,
}

/// <summary>The status one object should have; Conditions carry no lastTransitionTime (the writer keeps or stamps it).</summary>
public sealed record ObjectStatus<T>(GatewayApiKind Kind, [property: System.Text.Json.Serialization.JsonIgnore] V1ObjectMeta Metadata, T Status)
{
    /// <summary>The object's namespace; null for a GatewayClass (cluster-scoped).</summary>
    public string? Namespace => Kind == GatewayApiKind.GatewayClass ? null : Metadata.NamespaceProperty ?? "default";

    public string Name => Metadata.Name;

    /// <summary>The generation the status was computed from (every condition's observedGeneration).</summary>
    public long? Generation => Metadata.Generation;
}

/// <summary>What a conversion says of the Gateway API objects that are ours, for the status writer.</summary>
public sealed record GatewayApiStatus(
    ImmutableArray<ObjectStatus<GatewayClassStatus>> Classes,
    ImmutableArray<ObjectStatus<GatewayStatus>> Gateways,
    ImmutableArray<ObjectStatus<RouteStatus>> Routes);
