using System.Collections.Immutable;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.Silo.Routing;

/// <summary>What the grains should hold: routes per host, destinations per cluster, and what was refused.</summary>
internal sealed record DesiredState(
    ImmutableSortedDictionary<string, ImmutableArray<RouteSpec>> Hosts,
    ImmutableSortedDictionary<string, ImmutableArray<DestinationSpec>> Backends,
    ImmutableArray<Rejection> Rejections)
{
    /// <summary>Health-check settings per backend; a backend not named here has none.</summary>
    public ImmutableSortedDictionary<string, HealthAffinitySettings> BackendHealth { get; init; } = ImmutableSortedDictionary<string, HealthAffinitySettings>.Empty;
}
