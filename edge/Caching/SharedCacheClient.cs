using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Proxy.Caching;
using Orleans.Proxy.Diagnostics;
using Orleans.Proxy.Edge.Hosting;

namespace Orleans.Proxy.Edge.Caching;

/// <summary>
/// The shared tier, as the edge calls it: a lookup on a memory miss (bounded by the collapse
/// timeout plus <see cref="CachingOptions.SharedLookupTimeout"/>; a failure means "go to the
/// backend"), and stores and releases sent without waiting.
/// </summary>
internal sealed partial class SharedCacheClient(IGrainFactory grains, IOptions<CachingOptions> options, EdgeIdentity identity, ProxyMetrics metrics, ILogger<SharedCacheClient> logger)
{
    private readonly CachingOptions _options = options.Value;
    private long _lookups;
    private long _failures;

    public long Lookups => Volatile.Read(ref _lookups);

    public long Failures => Volatile.Read(ref _failures);

    public static ICacheShardGrain Shard(IGrainFactory grains, string key) => grains.GetGrain<ICacheShardGrain>(CacheShards.For(key));

    /// <returns>The shard's answer, or null when it did not answer in time.</returns>
    public async Task<SharedLookup?> LookupAsync(string key, IHeaderDictionary requestHeaders, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _lookups);
        metrics.RequestPathGrainCall("cache");
        var request = new SharedLookupRequest(key, HttpCachePolicy.SharedRequestHeaders(requestHeaders), identity.Id, _options.CollapseTimeout, _options.FillLease);
        try
        {
            return await Shard(grains, key).Lookup(request).WaitAsync(_options.CollapseTimeout + _options.SharedLookupTimeout, cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            Interlocked.Increment(ref _failures);
            LogLookupFailed(logger, key, e.GetType().Name, e.Message);
            return null;
        }
    }

    public void Store(CachedResponse entry, long fillToken, long purgeMark) => _ = Call(entry.Key, "store", s => s.Store(entry, fillToken, purgeMark));

    public void Release(string key, long fillToken)
    {
        if (fillToken != 0)
        {
            _ = Call(key, "release", s => s.Release(key, fillToken));
        }
    }

    /// <summary>Drops one URL from the shard of <paramref name="key"/> (after an unsafe method succeeded on it).</summary>
    public void Invalidate(string key, CachePurge purge) => _ = Call(key, "invalidate", s => s.Purge(purge));

    private async Task Call(string key, string what, Func<ICacheShardGrain, Task> call)
    {
        try
        {
            await call(Shard(grains, key));
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref _failures);
            LogCallFailed(logger, what, key, e.GetType().Name, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shared cache lookup of {Key} failed ({Error}: {Message}); the request goes to the backend")]
    private static partial void LogLookupFailed(ILogger logger, string key, string error, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shared cache {What} of {Key} failed ({Error}: {Message})")]
    private static partial void LogCallFailed(ILogger logger, string what, string key, string error, string message);
}
