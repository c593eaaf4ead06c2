using System.Diagnostics.Metrics;

namespace Orleans.Proxy.Diagnostics;

/// <summary>
/// The "Orleans.Proxy" meter: every instrument of ours, in one place, for the edge, the silo and the
/// grains (one singleton per process; resolve it from DI). Methods take only values the caller
/// already holds, so recording on the request path allocates nothing.
/// </summary>
public sealed class ProxyMetrics
{
    public const string MeterName = "Orleans.Proxy";

    private readonly Counter<long> _rateLimitRequests;
    private readonly Histogram<double> _leaseRefillDuration;
    private readonly Counter<long> _healthVerdictChanges;
    private readonly Gauge<long> _configLag;
    private readonly Counter<long> _configApplies;
    private readonly Counter<long> _requestPathGrainCalls;
    private readonly Counter<long> _accessLogDropped;
    private readonly Counter<long> _cacheRequests;
    private readonly Counter<long> _cacheBytes;
    private readonly Counter<long> _cacheEvictions;
    private readonly Counter<long> _cacheCollapsed;
    private readonly Counter<long> _affinityFallbacks;

    public ProxyMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _rateLimitRequests = meter.CreateCounter<long>("orleans_proxy.ratelimit.requests", "{request}",
            "Requests seen by a rate-limit policy, by decision (admitted or rejected)");
        _leaseRefillDuration = meter.CreateHistogram<double>("orleans_proxy.ratelimit.lease_refill.duration", "s",
            "Rate-limit lease refills from the cluster and their latency, by outcome");
        _healthVerdictChanges = meter.CreateCounter<long>("orleans_proxy.health.verdict_changes", "{change}",
            "Changes of a destination's cluster-wide health verdict");
        _configLag = meter.CreateGauge<long>("orleans_proxy.config.lag", "{generation}",
            "Catalog generations published after the one an edge last reported applied");
        _configApplies = meter.CreateCounter<long>("orleans_proxy.config.applies", "{apply}",
            "Routing tables applied to YARP by this edge");
        _requestPathGrainCalls = meter.CreateCounter<long>("orleans_proxy.request_path.grain_calls", "{call}",
            "Grain calls made while a request waits (cache misses), by grain");
        _accessLogDropped = meter.CreateCounter<long>("orleans_proxy.access_log.dropped", "{line}",
            "Access log lines dropped because the writer fell behind");
        _cacheRequests = meter.CreateCounter<long>("orleans_proxy.cache.requests", "{request}",
            "Requests to cached routes, by how they were served (HIT, MISS, STALE, BYPASS, COLLAPSED, REVALIDATED); hit ratio = not MISS nor BYPASS / not BYPASS");
        _cacheBytes = meter.CreateCounter<long>("orleans_proxy.cache.bytes", "By",
            "Response body bytes served from the cache (source=cache) and stored into it (source=backend)");
        _cacheEvictions = meter.CreateCounter<long>("orleans_proxy.cache.evictions", "{entry}",
            "Stored responses dropped to make room, by tier (memory or shared)");
        _cacheCollapsed = meter.CreateCounter<long>("orleans_proxy.cache.collapsed", "{request}",
            "Requests answered by waiting for a fetch of the same object by another request (on this edge or another)");
        _affinityFallbacks = meter.CreateCounter<long>("orleans_proxy.affinity.fallbacks", "{lookup}",
            "Affinity lookups answered by the rendezvous hash instead of the key's grain, by reason (timeout, error, grainKnowsNoDestination, pinnedNotAvailableHere)");
    }

    /// <param name="policy">The rate-limit policy name.</param>
    /// <param name="admitted">True when the request was let through.</param>
    public void RateLimitDecision(string policy, bool admitted) =>
        _rateLimitRequests.Add(1, new("policy", policy), new("decision", admitted ? "admitted" : "rejected"));

    /// <param name="succeeded">False when the grain call failed or timed out (the edge then used its local fallback).</param>
    public void LeaseRefilled(string policy, TimeSpan duration, bool succeeded) =>
        _leaseRefillDuration.Record(duration.TotalSeconds, new("policy", policy), new("outcome", succeeded ? "ok" : "failed"));

    /// <param name="verdict">The new verdict, e.g. "healthy" or "unhealthy".</param>
    public void HealthVerdictChanged(string cluster, string destination, string verdict) =>
        _healthVerdictChanges.Add(1, new("cluster", cluster), new("destination", destination), new("verdict", verdict));

    public void ConfigLag(string edge, long generationsBehind) =>
        _configLag.Record(generationsBehind, new KeyValuePair<string, object?>("edge", edge));

    public void ConfigApplied(string edge) =>
        _configApplies.Add(1, new KeyValuePair<string, object?>("edge", edge));

    /// <param name="grain">The grain kind called, e.g. "ratelimit" or "affinity".</param>
    public void RequestPathGrainCall(string grain) =>
        _requestPathGrainCalls.Add(1, new KeyValuePair<string, object?>("grain", grain));

    /// <param name="reason">Why the grain's answer was not used (a constant string, as on /diag/affinity).</param>
    public void AffinityFallback(string reason) =>
        _affinityFallbacks.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void AccessLogDropped(string edge) =>
        _accessLogDropped.Add(1, new KeyValuePair<string, object?>("edge", edge));

    /// <param name="status">HIT, MISS, STALE, BYPASS, COLLAPSED or REVALIDATED (constant strings).</param>
    public void CacheRequest(string status)
    {
        _cacheRequests.Add(1, new KeyValuePair<string, object?>("status", status));
        if (status == "COLLAPSED")
        {
            _cacheCollapsed.Add(1);
        }
    }

    /// <param name="fromCache">True for bytes served from the cache, false for bytes stored into it.</param>
    public void CacheBytes(long bytes, bool fromCache) =>
        _cacheBytes.Add(bytes, new KeyValuePair<string, object?>("source", fromCache ? "cache" : "backend"));

    /// <param name="tier">"memory" or "shared".</param>
    public void CacheEvicted(string tier, long entries = 1) =>
        _cacheEvictions.Add(entries, new KeyValuePair<string, object?>("tier", tier));
}
