using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using Orleans.Proxy.Caching;
using Orleans.Proxy.Edge.Hosting;

namespace Orleans.Proxy.Edge.Caching;

public static class CachingExtensions
{
    /// <summary>Response caching for routes whose Ingress says orleans-proxy.io/cache: "true": a memory tier per edge, the shared tier in grains, purges from the purge log.</summary>
    public static IHostApplicationBuilder AddEdgeCaching(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<CachingOptions>().Bind(builder.Configuration.GetSection(CachingOptions.Section)).ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CachingOptions>, CachingOptionsValidator>());
        builder.Services.AddMetrics();
        builder.Services.AddSingleton<EdgeCache>();
        builder.Services.AddSingleton<SharedCacheClient>();
        builder.Services.AddSingleton<CacheMiddleware>();
        builder.Services.AddSingleton<PurgeSync>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PurgeSync>());
        builder.Services.ConfigureOpenTelemetryMeterProvider((services, metrics) =>
        {
            services.GetRequiredService<EdgeCache>();
            metrics.AddMeter(EdgeCache.MeterName);
        });
        return builder;
    }

    /// <summary>The cache step in YARP's pipeline (after the route's redirects and access checks, before a backend is picked).</summary>
    internal static IReverseProxyApplicationBuilder UseEdgeCaching(this IReverseProxyApplicationBuilder proxy)
    {
        var middleware = proxy.ApplicationServices.GetRequiredService<CacheMiddleware>();
        proxy.Use((context, next) => middleware.InvokeAsync(context, next));
        return proxy;
    }

    /// <summary>GET /diag/cache: this edge's memory tier (entries, sizes, hit ratio), and with ?shared=true the shared tier's shards.</summary>
    internal static void MapCacheDiagnostics(this IEndpointRouteBuilder diag) =>
        diag.MapGet("/cache", async (HttpRequest request, EdgeCache cache, SharedCacheClient shared, PurgeSync purges, EdgeIdentity identity,
            IOptions<CachingOptions> options, IGrainFactory grains, TimeProvider time) =>
        {
            var now = time.GetUtcNow();
            var max = int.TryParse(request.Query["entries"], out var n) && n >= 0 ? Math.Min(n, 10_000) : 50;
            object? sharedTier = null;
            if (request.Query["shared"] == "true")
            {
                try
                {
                    var stats = await Task.WhenAll(CacheShards.All.Select(s => grains.GetGrain<ICacheShardGrain>(s).GetStats()));
                    long hits = stats.Sum(s => s.Hits), collapsed = stats.Sum(s => s.Collapsed), misses = stats.Sum(s => s.Misses);
                    sharedTier = new
                    {
                        shards = stats.Length,
                        keys = stats.Sum(s => s.Keys),
                        entries = stats.Sum(s => s.Entries),
                        bytes = stats.Sum(s => s.Bytes),
                        maxBytes = stats.Sum(s => s.MaxBytes),
                        hits,
                        collapsed,
                        misses,
                        hitRatio = hits + collapsed + misses == 0 ? 0 : Math.Round((double)(hits + collapsed) / (hits + collapsed + misses), 4),
                        evictions = stats.Sum(s => s.Evictions),
                        fillsInProgress = stats.Sum(s => s.FillsInProgress),
                    };
                }
                catch (Exception e)
                {
                    sharedTier = new { error = $"{e.GetType().Name}: {e.Message}" };
                }
            }

            return Results.Ok(new
            {
                edgeId = identity.Id,
                memory = new
                {
                    entries = cache.Memory.Entries,
                    keys = cache.Memory.Keys,
                    bytes = cache.Memory.Bytes,
                    maxBytes = cache.Memory.MaxBytes,
                    evictions = cache.Memory.Evictions,
                    hits = cache.Hits,
                    misses = cache.Misses,
                    stale = cache.StaleServed,
                    collapsed = cache.CollapsedServed,
                    revalidated = cache.RevalidatedServed,
                    bypass = cache.Bypassed,
                    hitRatio = Math.Round(cache.HitRatio, 4),
                    servedBytes = cache.ServedBytes,
                    storedBytes = cache.StoredBytes,
                    fetchesInProgress = cache.FetchesInProgress,
                },
                sharedLookups = shared.Lookups,
                sharedFailures = shared.Failures,
                purges = new { applied = purges.Applied, connected = purges.Connected, lastError = purges.LastError },
                options = new { options.Value.SharedTier, options.Value.MemoryMaxBytes, options.Value.MaxObjectBytes, options.Value.SharedMaxObjectBytes },
                shared = sharedTier,
                entries = cache.Memory.Recent(max).Select(e => new
                {
                    key = e.Key,
                    status = e.Status,
                    bytes = e.Size,
                    bodyBytes = e.Body.LongLength,
                    ageSeconds = (long)e.Age(now).TotalSeconds,
                    ttlSeconds = (long)(e.FreshnessLifetime - e.Age(now)).TotalSeconds,
                    fresh = e.IsFresh(now),
                    vary = e.VaryValues.Select(v => v.Name),
                    tags = e.Tags,
                }),
            });
        });
}
