using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Proxy.Diagnostics;

namespace Orleans.Proxy.Caching;

/// <summary>
/// One shard of the shared tier, in memory only: a lost shard costs one backend fetch per key it
/// held. Reentrant, so a lookup waiting for another edge's fetch does not hold up the others; every
/// state change happens between awaits.
/// </summary>
[Reentrant]
internal sealed partial class CacheShardGrain(IOptions<CacheShardOptions> options, ProxyMetrics metrics, TimeProvider time, ILogger<CacheShardGrain> logger) : Grain, ICacheShardGrain
{
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(30);

    private readonly ResponseStore _store = new(options.Value.MaxBytesPerShard, options.Value.MaxVariants);
    private readonly Dictionary<string, Fill> _fills = new(StringComparer.Ordinal);
    private long _nextToken;
    private long _hits;
    private long _misses;
    private long _collapsed;
    private DateTimeOffset _lastSweep;

    public async Task<SharedLookup> Lookup(SharedLookupRequest request)
    {
        var now = time.GetUtcNow();
        Sweep(now);
        var headers = request.RequestHeaders.IsDefault ? [] : request.RequestHeaders;
        string Header(string name)
        {
            foreach (var h in headers)
            {
                if (h.Name == name)
                {
                    return h.Value;
                }
            }

            return string.Empty;
        }

        var entry = _store.Find(request.Key, Header);
        if (entry is not null && entry.IsFresh(now))
        {
            _hits++;
            return new SharedLookup(SharedLookupOutcome.Hit, entry, 0, _store.PurgeMark, Collapsed: false);
        }

        if (_fills.TryGetValue(request.Key, out var fill) && fill.Expires > now)
        {
            if (entry is not null && !entry.MustRevalidate && entry.Staleness(now) < entry.StaleWhileRevalidate)
            {
                _hits++;
                return new SharedLookup(SharedLookupOutcome.Stale, entry, 0, _store.PurgeMark, Collapsed: false);
            }

            var wait = Min(Min(request.MaxWait, MaxWait), fill.Expires - now);
            try
            {
                await fill.Done.Task.WaitAsync(wait, time);
            }
            catch (TimeoutException)
            {
                LogFillTimedOut(logger, request.Key, fill.EdgeId, request.EdgeId);
                _misses++;
                return new SharedLookup(SharedLookupOutcome.Backend, entry, 0, _store.PurgeMark, Collapsed: false);
            }

            now = time.GetUtcNow();
            var filled = _store.Find(request.Key, Header);
            if (filled is not null && filled.IsFresh(now))
            {
                _collapsed++;
                return new SharedLookup(SharedLookupOutcome.Hit, filled, 0, _store.PurgeMark, Collapsed: true);
            }

            // The fetch stored nothing this request can use (not storable, or another variant).
            _misses++;
            return new SharedLookup(SharedLookupOutcome.Backend, filled ?? entry, 0, _store.PurgeMark, Collapsed: false);
        }

        _misses++;
        var token = ++_nextToken;
        _fills[request.Key] = new Fill(token, request.EdgeId, now + Min(request.FillLease, MaxWait));
        return new SharedLookup(SharedLookupOutcome.Fill, entry, token, _store.PurgeMark, Collapsed: false);
    }

    public Task Store(CachedResponse entry, long fillToken, long purgeMark)
    {
        var evicted = _store.Set(entry, purgeMark);
        if (evicted > 0)
        {
            metrics.CacheEvicted("shared", evicted);
        }

        EndFill(entry.Key, fillToken);
        return Task.CompletedTask;
    }

    public Task Release(string key, long fillToken)
    {
        EndFill(key, fillToken);
        return Task.CompletedTask;
    }

    public Task<int> Purge(CachePurge purge) => Task.FromResult(_store.Purge(purge));

    public Task<CacheShardStats> GetStats() => Task.FromResult(new CacheShardStats(
        this.GetPrimaryKeyString(), _store.Keys, _store.Entries, _store.Bytes, _store.MaxBytes, _hits, _misses, _collapsed, _store.Evictions, _fills.Count));

    private void EndFill(string key, long fillToken)
    {
        if (fillToken != 0 && _fills.TryGetValue(key, out var fill) && fill.Token == fillToken)
        {
            _fills.Remove(key);
            fill.Done.TrySetResult();
        }
    }

    private void Sweep(DateTimeOffset now)
    {
        if (now - _lastSweep < SweepInterval)
        {
            return;
        }

        _lastSweep = now;
        _store.DropExpired(now);
        foreach (var (key, fill) in _fills.Where(f => f.Value.Expires <= now).ToList())
        {
            _fills.Remove(key);
            fill.Done.TrySetResult();
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private sealed class Fill(long token, string edgeId, DateTimeOffset expires)
    {
        public long Token { get; } = token;

        public string EdgeId { get; } = edgeId;

        public DateTimeOffset Expires { get; } = expires;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Fetch of {Key} by edge {FillingEdge} did not finish in time; edge {WaitingEdge} goes to the backend")]
    private static partial void LogFillTimedOut(ILogger logger, string key, string fillingEdge, string waitingEdge);
}
