using Microsoft.Extensions.Logging;
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

    private readonly ILogger<RouteCatalogGrain> _logger;
    private readonly ObserverManager<IRouteCatalogObserver> _observers;
    private CatalogSnapshot _snapshot = CatalogSnapshot.Empty;

    public RouteCatalogGrain(ILogger<RouteCatalogGrain> logger)
    {
        _logger = logger;
        _observers = new ObserverManager<IRouteCatalogObserver>(ObserverExpiry, logger);
    }

    public Task<bool> Publish(CatalogSnapshot snapshot)
    {
        if (snapshot.Generation <= _snapshot.Generation)
        {
            return Task.FromResult(false);
        }

        _snapshot = snapshot;
        LogPublished(_logger, snapshot.Generation, snapshot.Hosts.Count, snapshot.Backends.Count, _observers.Count);
        _observers.Notify(o => o.OnCatalogChanged(snapshot));
        return Task.FromResult(true);
    }

    public Task<CatalogSnapshot> GetSnapshot() => Task.FromResult(_snapshot);

    public Task<CatalogSnapshot> Subscribe(string edgeId, IRouteCatalogObserver observer)
    {
        _observers.Subscribe(observer, observer);
        return Task.FromResult(_snapshot);
    }

    public Task Unsubscribe(IRouteCatalogObserver observer)
    {
        _observers.Unsubscribe(observer);
        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Catalog generation {Generation} published: {Hosts} hosts, {Backends} backends, pushed to {Observers} edges")]
    private static partial void LogPublished(ILogger logger, long generation, int hosts, int backends, int observers);
}
