using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Orleans.Proxy.Caching;

namespace Orleans.Proxy.Edge.Caching;

/// <summary>How a response of a cached route was served (the status header and the access log's "cache" field).</summary>
internal static class CacheStatus
{
    /// <summary>From the cache, fresh.</summary>
    public const string Hit = "HIT";
    /// <summary>From the backend (and stored when storable).</summary>
    public const string Miss = "MISS";
    /// <summary>From the cache, stale: while another request revalidates it, or because the backend failed.</summary>
    public const string Stale = "STALE";
    /// <summary>The cache was not consulted (method, Range, Upgrade).</summary>
    public const string Bypass = "BYPASS";
    /// <summary>From the cache, after waiting for another request's fetch of it (on this edge or another).</summary>
    public const string Collapsed = "COLLAPSED";
    /// <summary>From the cache after the backend confirmed it with a 304.</summary>
    public const string Revalidated = "REVALIDATED";
}

/// <summary>
/// The edge's memory tier (a <see cref="ResponseStore"/>), its fetches in progress (one per key:
/// the others wait for it) and its counters.
/// </summary>
internal sealed class EdgeCache
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _flights = new(StringComparer.Ordinal);
    private long _hits;
    private long _misses;
    private long _stale;
    private long _bypass;
    private long _collapsed;
    private long _revalidated;
    private long _servedBytes;
    private long _storedBytes;

    public EdgeCache(IOptions<CachingOptions> options, IMeterFactory meters)
    {
        Memory = new ResponseStore(options.Value.MemoryMaxBytes, options.Value.MaxVariants);
        var meter = meters.Create(MeterName);
        meter.CreateObservableGauge("orleans_proxy.cache.memory.bytes", () => Memory.Bytes, "By", "Bytes of responses in this edge's memory tier");
        meter.CreateObservableGauge("orleans_proxy.cache.memory.entries", () => Memory.Entries, "{entry}", "Responses in this edge's memory tier");
        meter.CreateObservableGauge("orleans_proxy.cache.hit_ratio", () => HitRatio, "1", "Share of this edge's cache lookups answered from the cache since it started");
    }

    public const string MeterName = "Orleans.Proxy.Cache";

    public ResponseStore Memory { get; }

    public long Hits => Volatile.Read(ref _hits);

    public long Misses => Volatile.Read(ref _misses);

    public long StaleServed => Volatile.Read(ref _stale);

    public long Bypassed => Volatile.Read(ref _bypass);

    public long CollapsedServed => Volatile.Read(ref _collapsed);

    public long RevalidatedServed => Volatile.Read(ref _revalidated);

    public long ServedBytes => Volatile.Read(ref _servedBytes);

    public long StoredBytes => Volatile.Read(ref _storedBytes);

    public int FetchesInProgress => _flights.Count;

    /// <summary>Answered from the cache / every lookup (BYPASS is not a lookup).</summary>
    public double HitRatio
    {
        get
        {
            var fromCache = Hits + StaleServed + CollapsedServed + RevalidatedServed;
            var total = fromCache + Misses;
            return total == 0 ? 0 : (double)fromCache / total;
        }
    }

    public void Count(string status)
    {
        switch (status)
        {
            case CacheStatus.Hit: Interlocked.Increment(ref _hits); break;
            case CacheStatus.Miss: Interlocked.Increment(ref _misses); break;
            case CacheStatus.Stale: Interlocked.Increment(ref _stale); break;
            case CacheStatus.Bypass: Interlocked.Increment(ref _bypass); break;
            case CacheStatus.Collapsed: Interlocked.Increment(ref _collapsed); break;
            case CacheStatus.Revalidated: Interlocked.Increment(ref _revalidated); break;
        }
    }

    public void CountBytes(long bytes, bool served) => Interlocked.Add(ref served ? ref _servedBytes : ref _storedBytes, bytes);

    /// <summary>True when the caller is the one request fetching <paramref name="key"/>; otherwise <paramref name="flight"/> completes when that fetch ends.</summary>
    public bool TryLead(string key, out TaskCompletionSource flight)
    {
        var mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        flight = _flights.GetOrAdd(key, mine);
        return ReferenceEquals(flight, mine);
    }

    /// <summary>Ends a fetch: its waiters look in memory again.</summary>
    public void Land(string key, TaskCompletionSource flight)
    {
        _flights.TryRemove(KeyValuePair.Create(key, flight));
        flight.TrySetResult();
    }
}
