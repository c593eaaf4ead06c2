using System.Collections.Immutable;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.Edge.Routing;

/// <summary>What this edge serves: an immutable copy of the grains' routing state at one catalog generation.</summary>
internal sealed record RouteTable(
    CatalogSnapshot Catalog,
    ImmutableDictionary<string, HostRoutes> Hosts,
    ImmutableDictionary<string, BackendSpec> Backends)
{
    public static RouteTable Empty { get; } = new(CatalogSnapshot.Empty, ImmutableDictionary<string, HostRoutes>.Empty, ImmutableDictionary<string, BackendSpec>.Empty);
}
