using System.Collections.Immutable;
using Orleans.Proxy.Affinity;
using Orleans.Proxy.Health;

namespace Orleans.Proxy.Routing;

/// <summary>How a route's path is compared with a request path (Ingress pathType).</summary>
public enum PathMatchKind
{
    /// <summary>Element-wise prefix on '/' boundaries; ImplementationSpecific is read as Prefix.</summary>
    Prefix = 0,
    /// <summary>The whole path, exactly.</summary>
    Exact = 1,
}

/// <summary>A request header that must be present with this value.</summary>
[GenerateSerializer, Immutable, Alias("op.HeaderMatch")]
public sealed record HeaderMatch([property: Id(0)] string Name, [property: Id(1)] string Value);

/// <summary>A query-string parameter that must be present with this value.</summary>
[GenerateSerializer, Immutable, Alias("op.QueryMatch")]
public sealed record QueryMatch([property: Id(0)] string Name, [property: Id(1)] string Value);

/// <summary>One routing rule: host + path (+ optional header and query matches) to a backend cluster.</summary>
/// <param name="RouteId">Stable id naming the object it came from, e.g. "default/web#0.1".</param>
/// <param name="Host">Exact host, "*.suffix" wildcard, or "*" for any host.</param>
/// <param name="Source">The object the route came from ("Ingress default/web"), for diagnostics.</param>
[GenerateSerializer, Immutable, Alias("op.RouteSpec")]
public sealed record RouteSpec(
    [property: Id(0)] string RouteId,
    [property: Id(1)] string Host,
    [property: Id(2)] string Path,
    [property: Id(3)] PathMatchKind PathMatch,
    [property: Id(4)] ImmutableArray<HeaderMatch> Headers,
    [property: Id(5)] ImmutableArray<QueryMatch> Query,
    [property: Id(6)] string ClusterId,
    [property: Id(7)] string Source)
{
    /// <summary>True for the catch-all route of the default backend.</summary>
    [Id(8)]
    public bool IsDefaultBackend { get; init; }

    /// <summary>Sticky sessions for this route; null: off.</summary>
    [Id(20)]
    public AffinitySpec? Affinity { get; init; }
}

/// <summary>All routes of one host at one version.</summary>
[GenerateSerializer, Immutable, Alias("op.HostRoutes")]
public sealed record HostRoutes(
    [property: Id(0)] string Host,
    [property: Id(1)] long Version,
    [property: Id(2)] ImmutableArray<RouteSpec> Routes)
{
    public static HostRoutes Empty(string host) => new(host, 0, []);
}

/// <summary>One upstream endpoint of a backend cluster.</summary>
/// <param name="Id">Stable id (the endpoint address and port).</param>
/// <param name="Address">Base URI, e.g. "http://10.0.0.7:8080".</param>
[GenerateSerializer, Immutable, Alias("op.DestinationSpec")]
public sealed record DestinationSpec([property: Id(0)] string Id, [property: Id(1)] string Address);

/// <summary>A backend cluster (a Service port) and its destinations at one version.</summary>
/// <param name="ClusterId">"namespace/service:port".</param>
[GenerateSerializer, Immutable, Alias("op.BackendSpec")]
public sealed record BackendSpec(
    [property: Id(0)] string ClusterId,
    [property: Id(1)] long Version,
    [property: Id(2)] ImmutableArray<DestinationSpec> Destinations)
{
    public static BackendSpec Empty(string clusterId) => new(clusterId, 0, []);

    /// <summary>Active health checks by the backend grain; null: off.</summary>
    [Id(10)]
    public HealthCheckSpec? HealthCheck { get; init; }

    /// <summary>Passive health from the edges' request outcomes; null: off.</summary>
    [Id(11)]
    public PassiveHealthSpec? PassiveHealth { get; init; }
}

/// <summary>An object, or one field of it, that was refused, and why.</summary>
/// <param name="Object">"Ingress default/web", or a file name for input that did not parse.</param>
/// <param name="Field">The field to fix, e.g. "spec.rules[0].http.paths[1].path".</param>
[GenerateSerializer, Immutable, Alias("op.Rejection")]
public sealed record Rejection(
    [property: Id(0)] string Object,
    [property: Id(1)] string Field,
    [property: Id(2)] string Reason);

/// <summary>
/// The catalog: every host and backend with the version of its current content, plus the
/// rejections of the last conversion. <see cref="Generation"/> orders catalogs: an edge never
/// replaces a newer catalog with an older one (for example one re-activated empty after a crash).
/// </summary>
[GenerateSerializer, Immutable, Alias("op.CatalogSnapshot")]
public sealed record CatalogSnapshot(
    [property: Id(0)] long Generation,
    [property: Id(1)] ImmutableDictionary<string, long> Hosts,
    [property: Id(2)] ImmutableDictionary<string, long> Backends,
    [property: Id(3)] ImmutableArray<Rejection> Rejections)
{
    public static CatalogSnapshot Empty { get; } = new(0, ImmutableDictionary<string, long>.Empty, ImmutableDictionary<string, long>.Empty, []);
}
