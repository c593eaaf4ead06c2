using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Orleans.Proxy.Diagnostics;
using Orleans.Utilities;

namespace Orleans.Proxy.Routing;

/// <summary>
/// Holds the catalog in memory only: the route source rewrites it after a loss (level-based
/// reconcile), and edges ignore a catalog older than the one they already serve.
/// </summary>
internal sealed partial class RouteCatalogGrain : Grain, IRouteCatalogGrain
{
    /// <summary>Edges renew well within this; a crashed edge's observer is dropped after it.</summary>
    internal static readonly TimeSpan ObserverExpiry = TimeSpan.FromMinutes(3);

    /// <summary>Recent generations kept to say how far behind an edge is; older lag reads "at least" this many.</summary>
    private const int GenerationHistory = 256;

    private readonly ILogger<RouteCatalogGrain> _logger;
    private readonly ProxyMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ObserverManager<IRouteCatalogObserver> _observers;
    private readonly Dictionary<string, (long Applied, DateTimeOffset LastSeen)> _edges = new(StringComparer.Ordinal);
    private readonly Queue<(long Generation, DateTimeOffset PublishedAt)> _history = new();
    private CatalogSnapshot _snapshot = CatalogSnapshot.Empty;

    public RouteCatalogGrain(ILogger<RouteCatalogGrain> logger, ProxyMetrics metrics, TimeProvider time)
    {
        _logger = logger;
        _metrics = metrics;
        _time = time;
        _observers = new ObserverManager<IRouteCatalogObserver>(ObserverExpiry, logger);
    }

    public Task<VersionedWrite> Publish(CatalogSnapshot snapshot) =>
        Task.FromResult(Refused(snapshot.Generation) ?? Store(snapshot, CatalogDelta.Between(_snapshot, snapshot)));

    public Task<VersionedWrite> PublishDelta(CatalogDelta delta) =>
        Task.FromResult(Refused(delta.Generation) ?? (delta.FromGeneration == _snapshot.Generation
            ? Store(delta.ApplyTo(_snapshot), delta)
            : new VersionedWrite(false, _snapshot.Generation)));

    /// <summary>The refusal of a generation not newer than the one held, or too far ahead of this silo's clock; null when it may be stored.</summary>
    private VersionedWrite? Refused(long generation) =>
        generation <= _snapshot.Generation || VersionClock.IsTooFarAhead(generation, _time.GetUtcNow())
            ? new VersionedWrite(false, _snapshot.Generation)
            : null;

    private VersionedWrite Store(CatalogSnapshot snapshot, CatalogDelta delta)
    {
        _snapshot = snapshot;
        _history.Enqueue((snapshot.Generation, _time.GetUtcNow()));
        while (_history.Count > GenerationHistory)
        {
            _history.Dequeue();
        }

        LogPublished(_logger, snapshot.Generation, snapshot.Hosts.Count, snapshot.Backends.Count, _observers.Count);
        _observers.Notify(o => o.OnCatalogChanged(delta));
        foreach (var (edgeId, edge) in _edges)
        {
            _metrics.ConfigLag(edgeId, Behind(edge.Applied).Count);
        }

        return new VersionedWrite(true, snapshot.Generation);
    }

    public Task<CatalogSnapshot> GetSnapshot() => Task.FromResult(_snapshot);

    public Task<CatalogSnapshot> Subscribe(string edgeId, long appliedGeneration, IRouteCatalogObserver observer)
    {
        Renew(edgeId, appliedGeneration, observer);
        return Task.FromResult(_snapshot);
    }

    public Task<long> ReportServed(string edgeId, long appliedGeneration, IRouteCatalogObserver observer)
    {
        Renew(edgeId, appliedGeneration, observer);
        return Task.FromResult(_snapshot.Generation);
    }

    private void Renew(string edgeId, long appliedGeneration, IRouteCatalogObserver observer)
    {
        LogSubscribed(_logger, edgeId, appliedGeneration);
        _observers.Subscribe(observer, observer);
        _edges[edgeId] = (appliedGeneration, _time.GetUtcNow());
        _metrics.ConfigLag(edgeId, Behind(appliedGeneration).Count);
    }

    public Task Unsubscribe(IRouteCatalogObserver observer)
    {
        _observers.Unsubscribe(observer);
        return Task.CompletedTask;
    }

    public Task<ImmutableArray<EdgeStatus>> GetEdges()
    {
        var now = _time.GetUtcNow();
        foreach (var gone in _edges.Where(e => now - e.Value.LastSeen > ObserverExpiry).Select(e => e.Key).ToList())
        {
            _edges.Remove(gone);
        }

        return Task.FromResult(_edges
            .OrderBy(e => e.Key, StringComparer.Ordinal)
            .Select(e =>
            {
                var (count, since) = Behind(e.Value.Applied);
                return new EdgeStatus(e.Key, e.Value.Applied, e.Value.LastSeen, count, since);
            })
            .ToImmutableArray());
    }

    /// <summary>Generations published after <paramref name="applied"/>, and when the first of them was.</summary>
    private (int Count, DateTimeOffset? Since) Behind(long applied)
    {
        var count = 0;
        DateTimeOffset? since = null;
        foreach (var (generation, publishedAt) in _history)
        {
            if (generation > applied)
            {
                count++;
                since ??= publishedAt;
            }
        }

        // Behind a catalog published before this activation's history began (e.g. after a silo restart).
        if (count == 0 && applied < _snapshot.Generation)
        {
            count = 1;
        }

        return (count, since);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Catalog generation {Generation} published: {Hosts} hosts, {Backends} backends, pushed to {Observers} edges")]
    private static partial void LogPublished(ILogger logger, long generation, int hosts, int backends, int observers);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Edge {EdgeId} renewed its subscription, serving generation {Generation}")]
    private static partial void LogSubscribed(ILogger logger, string edgeId, long generation);
}
