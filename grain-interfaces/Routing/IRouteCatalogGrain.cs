using System.Collections.Immutable;
using Orleans.Proxy.Security;

namespace Orleans.Proxy.Routing;

/// <summary>Receives catalog changes pushed by <see cref="IRouteCatalogGrain"/>.</summary>
[Alias("op.IRouteCatalogObserver")]
public interface IRouteCatalogObserver : IGrainObserver
{
    /// <summary>
    /// What changed since <see cref="CatalogDelta.FromGeneration"/>: a push costs what changed, not the
    /// table's size. An observer that does not hold that generation fetches the whole catalog instead.
    /// </summary>
    [Alias("OnCatalogDelta")]
    void OnCatalogChanged(CatalogDelta delta);
}

/// <summary>The host and backend list with versions; key "default".</summary>
[Alias("op.IRouteCatalogGrain")]
public interface IRouteCatalogGrain : IGrainWithStringKey
{
    public const string DefaultKey = "default";

    /// <summary>Stores the snapshot unless an equal or newer generation is held (or it is too far ahead of the grain's clock); pushes it to observers.</summary>
    [Alias("Publish"), RouteSourceOnly]
    Task<VersionedWrite> Publish(CatalogSnapshot snapshot);

    /// <summary>
    /// Applies what changed since <see cref="CatalogDelta.FromGeneration"/> and pushes the delta to observers,
    /// so a publication costs what changed, not the table's size. Refused (with the held generation) unless
    /// the grain holds exactly that generation: the route source then publishes the whole catalog.
    /// </summary>
    [Alias("PublishDelta"), RouteSourceOnly]
    Task<VersionedWrite> PublishDelta(CatalogDelta delta);

    [Alias("GetSnapshot"), ResponseTimeout("00:00:05")]
    Task<CatalogSnapshot> GetSnapshot();

    /// <summary>
    /// Registers or renews an observer (it expires unless renewed) and returns the current catalog.
    /// The edge reports the generation it serves, for the cluster's view of connected edges.
    /// </summary>
    [Alias("Subscribe"), ResponseTimeout("00:00:05")]
    Task<CatalogSnapshot> Subscribe(string edgeId, long appliedGeneration, IRouteCatalogObserver observer);

    /// <summary>
    /// What <see cref="Subscribe"/> does without returning the catalog: an edge reports each generation it
    /// serves with it, and fetches the whole catalog only when the returned generation is one it has not seen.
    /// </summary>
    /// <returns>The generation of the catalog held.</returns>
    [Alias("ReportServed"), ResponseTimeout("00:00:05")]
    Task<long> ReportServed(string edgeId, long appliedGeneration, IRouteCatalogObserver observer);

    /// <summary>The edges that subscribed within the observer expiry, with how far behind each is.</summary>
    [Alias("GetEdges"), ResponseTimeout("00:00:05")]
    Task<ImmutableArray<EdgeStatus>> GetEdges();

    [Alias("Unsubscribe"), ResponseTimeout("00:00:05")]
    Task Unsubscribe(IRouteCatalogObserver observer);
}

/// <summary>Routes of one host; key is the host name, "*" for rules without a host and the default backend.</summary>
[Alias("op.IHostRouteGrain")]
public interface IHostRouteGrain : IGrainWithStringKey
{
    /// <summary>Stores the routes unless the grain holds this version or a newer one (or it is too far ahead of the grain's clock).</summary>
    [Alias("SetRoutes"), RouteSourceOnly]
    Task<VersionedWrite> SetRoutes(HostRoutes routes);

    [Alias("GetRoutes"), ResponseTimeout("00:00:05")]
    Task<HostRoutes> GetRoutes();
}

/// <summary>An edge as the catalog last heard from it.</summary>
/// <param name="AppliedGeneration">The catalog generation the edge reported serving.</param>
/// <param name="GenerationsBehind">Generations published after it (counted over the recent history the catalog keeps).</param>
/// <param name="BehindSince">When the first generation it has not applied was published; null when up to date.</param>
[GenerateSerializer, Immutable, Alias("op.EdgeStatus")]
public sealed record EdgeStatus(
    [property: Id(0)] string EdgeId,
    [property: Id(1)] long AppliedGeneration,
    [property: Id(2)] DateTimeOffset LastSeen,
    [property: Id(3)] int GenerationsBehind,
    [property: Id(4)] DateTimeOffset? BehindSince);
