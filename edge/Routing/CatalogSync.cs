using System.Collections.Immutable;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Proxy.Edge.Hosting;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.Edge.Routing;

/// <summary>
/// Keeps the local table in step with the grains. The catalog pushes changes to this edge's
/// observer; a poll on <see cref="EdgeOptions.PollInterval"/> renews the subscription and catches
/// anything a push missed. When the silos cannot be reached the last table keeps serving (fail
/// static). A catalog older than the one served, or a host grain behind the catalog (state lost in
/// a crash, not yet rewritten by the route source), never replaces what is served.
/// </summary>
internal sealed partial class CatalogSync(
    IGrainFactory grains,
    RouteTableCache cache,
    ClusterConnection connection,
    EdgeIdentity identity,
    TimeProvider time,
    IOptions<EdgeOptions> options,
    ILogger<CatalogSync> logger) : BackgroundService, IRouteCatalogObserver
{
    private readonly SemaphoreSlim _pushed = new(0, int.MaxValue);
    private readonly Lock _pushLock = new();

    // The newest catalog learned from pushes (deltas applied in order) or polls, under _pushLock.
    private CatalogSnapshot _known = CatalogSnapshot.Empty;
    private bool _missedDelta;

    // What the deltas folded into _known named since a generation; null when _known came whole (a poll).
    private CatalogChanges? _changes;

    /// <summary>True while some host or backend grain is behind the catalog; the next poll retries it.</summary>
    public bool Incomplete { get; private set; }

    public void OnCatalogChanged(CatalogDelta delta)
    {
        LogDeltaReceived(delta.FromGeneration, delta.Generation, delta.Hosts.Count + delta.RemovedHosts.Length, delta.Backends.Count + delta.RemovedBackends.Length);
        lock (_pushLock)
        {
            if (delta.Generation <= _known.Generation)
            {
                return;
            }

            if (delta.FromGeneration == _known.Generation)
            {
                (_changes ??= new CatalogChanges(_known.Generation)).Add(delta);
                _known = delta.ApplyTo(_known);
            }
            else
            {
                // A delta went missing (or this edge is new): the loop fetches the whole catalog.
                _missedDelta = true;
            }
        }

        _pushed.Release();
    }

    /// <summary>
    /// The catalog to apply after a push, or null when there is nothing newer; true when the whole
    /// catalog must be fetched; what changed since the served generation, when the deltas tell.
    /// </summary>
    private (CatalogSnapshot? Snapshot, bool MissedDelta, CatalogChanges? Changes) TakePushed(long served)
    {
        lock (_pushLock)
        {
            var missed = _missedDelta;
            var changes = _changes;
            _missedDelta = false;
            _changes = null;
            return (_known.Generation > served ? _known : null, missed, changes?.From == served ? changes : null);
        }
    }

    private CatalogSnapshot Known
    {
        get
        {
            lock (_pushLock)
            {
                return _known;
            }
        }
    }

    private void Learned(CatalogSnapshot snapshot)
    {
        lock (_pushLock)
        {
            if (snapshot.Generation > _known.Generation)
            {
                _known = snapshot;
                _changes = null;
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var catalog = grains.GetGrain<IRouteCatalogGrain>(IRouteCatalogGrain.DefaultKey);
        var observer = grains.CreateObjectReference<IRouteCatalogObserver>(this);
        var poll = TimeSpan.Zero;
        long lastSubscribe = 0;
        long reported = -1;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var pushed = await _pushed.WaitAsync(poll, stoppingToken);
                // Pushes that arrived meanwhile are folded into the newest one, which Exchange returns.
                while (pushed && _pushed.Wait(0))
                {
                }

                try
                {
                    var (snapshot, missedDelta, changes) = pushed ? TakePushed(cache.Current.Catalog.Generation) : (null, false, null);
                    if (pushed && snapshot is null && !missedDelta)
                    {
                        // Its change was applied with an earlier signal: nothing new to apply.
                        continue;
                    }

                    // A poll renews the subscription and asks only for the catalog's generation: the whole
                    // catalog (20,000 entries at 10,000 hosts) crosses the wire only when this edge lacks it.
                    if (snapshot is null || missedDelta)
                    {
                        var held = missedDelta ? (long?)null : await catalog.ReportServed(identity.Id, reported = cache.Current.Catalog.Generation, observer);
                        lastSubscribe = time.GetTimestamp();
                        var known = Known;
                        if (held is null || held != known.Generation || cache.AppliedAt is null)
                        {
                            var current = await catalog.Subscribe(identity.Id, reported = cache.Current.Catalog.Generation, observer);
                            Learned(current);
                            if (snapshot is null || current.Generation > snapshot.Generation)
                            {
                                (snapshot, changes) = (current, null);
                            }
                        }
                        else
                        {
                            // What the pushes told (a failed apply is retried from it), compared key by key.
                            snapshot ??= known;
                        }
                    }

                    await SyncAsync(snapshot, changes);
                    // Tell the catalog what is served now rather than at the next poll, so the cluster view shows no false
                    // lag; under a steady stream of pushes this also renews the subscription before it expires.
                    if (cache.Current.Catalog.Generation != reported || time.GetElapsedTime(lastSubscribe) >= options.Value.PollInterval)
                    {
                        await catalog.ReportServed(identity.Id, reported = cache.Current.Catalog.Generation, observer);
                        lastSubscribe = time.GetTimestamp();
                        LogReported(reported);
                    }

                    if (connection.MarkConnected())
                    {
                        LogConnected(identity.Id);
                    }

                    poll = options.Value.PollInterval;
                }
                catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    if (connection.MarkDisconnected(e))
                    {
                        LogDisconnected(e, cache.Current.Catalog.Generation);
                    }

                    // Retry sooner than the poll while cut off, but not in a tight loop.
                    poll = TimeSpan.FromTicks(Math.Min(options.Value.PollInterval.Ticks, TimeSpan.FromSeconds(1).Ticks));
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            grains.DeleteObjectReference<IRouteCatalogObserver>(observer);
        }
    }

    /// <param name="changes">The keys the deltas from the served generation to <paramref name="snapshot"/> named, when known: only those are compared.</param>
    internal async Task SyncAsync(CatalogSnapshot snapshot, CatalogChanges? changes = null)
    {
        var table = cache.Current;
        if (snapshot.Generation < table.Catalog.Generation || (snapshot.Generation == table.Catalog.Generation && !Incomplete && cache.AppliedAt is not null))
        {
            if (snapshot.Generation < table.Catalog.Generation)
            {
                LogStaleCatalog(snapshot.Generation, table.Catalog.Generation);
            }

            return;
        }

        // A grain left behind last time is looked at again only by comparing every key.
        var keys = changes is not null && changes.From == table.Catalog.Generation && !Incomplete ? changes : null;
        var incomplete = false;
        var (hosts, fetchedHosts) = await FetchChangedAsync(snapshot.Hosts, table.Hosts, keys?.Hosts, h => h.Version,
            key => grains.GetGrain<IHostRouteGrain>(key).GetRoutes(), () => incomplete = true);
        var (backends, fetchedBackends) = await FetchChangedAsync(snapshot.Backends, table.Backends, keys?.Backends, b => b.Version,
            key => grains.GetGrain<IBackendGrain>(key).GetBackend(), () => incomplete = true);

        Incomplete = incomplete;
        LogFetched(snapshot.Generation, fetchedHosts, fetchedBackends);
        await cache.ApplyAsync(new RouteTable(snapshot, hosts, backends), keys?.Hosts, keys?.Backends);
    }

    /// <summary>
    /// The catalog's keys with their values: unchanged ones from the cache, changed ones from their
    /// grains, and how many were fetched. A grain behind the wanted version keeps the cached value and reports incomplete.
    /// </summary>
    /// <param name="changed">The only keys that can differ from the cache; null: any.</param>
    private async Task<(ImmutableDictionary<string, T> Values, int Fetched)> FetchChangedAsync<T>(
        ImmutableDictionary<string, long> wanted,
        ImmutableDictionary<string, T> cached,
        IReadOnlyCollection<string>? changed,
        Func<T, long> versionOf,
        Func<string, Task<T>> fetch,
        Action reportIncomplete)
    {
        var stale = Stale(wanted, cached, versionOf, changed);
        var fetched = await Task.WhenAll(stale.Select(async w => (w.Key, Wanted: w.Value, Value: await fetch(w.Key))));
        return (Merge(wanted, cached, fetched, versionOf, changed, (key, held, wantedVersion) =>
        {
            LogGrainBehind(key, held, wantedVersion);
            reportIncomplete();
        }), fetched.Length);
    }

    /// <summary>The catalog entries (of <paramref name="changed"/>, when given) whose cached value is missing or at another version.</summary>
    internal static List<KeyValuePair<string, long>> Stale<T>(ImmutableDictionary<string, long> wanted, ImmutableDictionary<string, T> cached, Func<T, long> versionOf, IReadOnlyCollection<string>? changed = null) =>
        (changed is null ? wanted : changed.Where(wanted.ContainsKey).Select(k => KeyValuePair.Create(k, wanted[k])))
            .Where(w => !cached.TryGetValue(w.Key, out var c) || versionOf(c) != w.Value).ToList();

    /// <summary>
    /// The cached values of the catalog's keys, with the fetched values at (or past) their wanted
    /// version in place: the cached dictionary with what changed set, so unchanged values stay the
    /// same objects and a change costs what changed.
    /// </summary>
    /// <param name="changed">The only keys that can differ from the cache (removed ones included); null: any.</param>
    internal static ImmutableDictionary<string, T> Merge<T>(
        ImmutableDictionary<string, long> wanted,
        ImmutableDictionary<string, T> cached,
        IEnumerable<(string Key, long Wanted, T Value)> fetched,
        Func<T, long> versionOf,
        IReadOnlyCollection<string>? changed,
        Action<string, long, long> behind)
    {
        var result = cached.ToBuilder();
        var missing = 0;
        foreach (var (key, wantedVersion, value) in fetched)
        {
            if (versionOf(value) >= wantedVersion)
            {
                result[key] = value;
            }
            else
            {
                behind(key, versionOf(value), wantedVersion);
                missing += cached.ContainsKey(key) ? 0 : 1;
            }
        }

        // Every wanted key is in the result but those missing, so a larger result holds keys the catalog no longer has.
        if (result.Count > wanted.Count - missing)
        {
            result.RemoveRange((changed ?? cached.Keys).Where(k => !wanted.ContainsKey(k)).ToList());
        }

        return result.ToImmutable();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Edge {EdgeId} connected to the cluster")]
    private partial void LogConnected(string edgeId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster unreachable; serving the last routing table (generation {Generation}) until it returns")]
    private partial void LogDisconnected(Exception exception, long generation);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignoring catalog generation {Received}, older than the served {Served} (catalog lost and not yet rewritten)")]
    private partial void LogStaleCatalog(long received, long served);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Catalog delta {From} -> {Generation} received: {Hosts} hosts, {Backends} backends named")]
    private partial void LogDeltaReceived(long from, long generation, int hosts, int backends);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Generation {Generation}: fetched {Hosts} host and {Backends} backend grains")]
    private partial void LogFetched(long generation, int hosts, int backends);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reported generation {Generation} served to the catalog")]
    private partial void LogReported(long generation);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Grain {Key} holds version {Held}, behind the catalog's {Wanted}; keeping the cached copy until the route source rewrites it")]
    private partial void LogGrainBehind(string key, long held, long wanted);
}

/// <summary>The hosts and backends that catalog deltas named (changed, added or removed) since generation <see cref="From"/>.</summary>
internal sealed class CatalogChanges(long from)
{
    public long From { get; } = from;

    public HashSet<string> Hosts { get; } = new(StringComparer.Ordinal);

    public HashSet<string> Backends { get; } = new(StringComparer.Ordinal);

    public void Add(CatalogDelta delta)
    {
        Hosts.UnionWith(delta.Hosts.Keys);
        Hosts.UnionWith(delta.RemovedHosts);
        Backends.UnionWith(delta.Backends.Keys);
        Backends.UnionWith(delta.RemovedBackends);
    }
}
