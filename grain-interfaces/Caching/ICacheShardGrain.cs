namespace Orleans.Proxy.Caching;

/// <summary>
/// The shared cache tier: one grain per shard of the key space (<see cref="CacheShards"/>), holding
/// stored responses in memory (LRU, bounded in bytes) and the fetches in progress, so that one edge
/// fetches a key while the others wait for its result.
/// </summary>
[Alias("op.ICacheShardGrain")]
public interface ICacheShardGrain : IGrainWithStringKey
{
    /// <summary>A fresh response, or the right to fetch it, or (after at most MaxWait, up to 30 s) the advice to fetch it anyway.</summary>
    [Alias("Lookup"), ResponseTimeout("00:00:35")]
    Task<SharedLookup> Lookup(SharedLookupRequest request);

    /// <summary>Stores a response (ending the fill of <paramref name="fillToken"/>, 0 for none) unless a purge after <paramref name="purgeMark"/> covers it.</summary>
    [Alias("Store"), ResponseTimeout("00:00:05")]
    Task Store(CachedResponse entry, long fillToken, long purgeMark);

    /// <summary>Ends a fill that stored nothing (the response was not storable, or too large): the waiters go to the backend.</summary>
    [Alias("Release"), ResponseTimeout("00:00:05")]
    Task Release(string key, long fillToken);

    /// <returns>The number of stored responses dropped.</returns>
    [Alias("Purge"), ResponseTimeout("00:00:05")]
    Task<int> Purge(CachePurge purge);

    [Alias("GetStats"), ResponseTimeout("00:00:05")]
    Task<CacheShardStats> GetStats();
}

/// <summary>
/// The purge log ("default"): purges drop the shared tier's entries first, then reach every edge,
/// which long-polls <see cref="WaitForPurges"/> and applies them to its memory tier.
/// </summary>
[Alias("op.ICachePurgeGrain")]
public interface ICachePurgeGrain : IGrainWithStringKey
{
    public const string DefaultKey = "default";

    /// <summary>Purges the shared tier, logs the purge for the edges and waits up to <paramref name="waitForEdges"/> (at most 10 s) for the live ones to apply it.</summary>
    [Alias("Purge"), ResponseTimeout("00:00:20")]
    Task<PurgeResult> Purge(CachePurge purge, TimeSpan waitForEdges);

    /// <summary>
    /// The purges after <paramref name="after"/> (of <paramref name="epoch"/>); waits up to
    /// <paramref name="maxWait"/> (at most 30 s) for one when there is none. Calling it also says
    /// that <paramref name="edgeId"/> applied everything up to <paramref name="after"/>.
    /// </summary>
    [Alias("WaitForPurges"), ResponseTimeout("00:00:40")]
    Task<PurgeLog> WaitForPurges(string edgeId, long epoch, long after, TimeSpan maxWait);
}

/// <summary>Which shard grain holds a key: a stable hash (FNV-1a) of the key, so every edge agrees.</summary>
public static class CacheShards
{
    /// <summary>Fixed: every edge and the purge fan-out must agree on it.</summary>
    public const int Count = 64;

    public static string For(string key)
    {
        var hash = 2166136261u;
        foreach (var c in key)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (hash % Count).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    public static IEnumerable<string> All => Enumerable.Range(0, Count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
