using Orleans.Proxy.Diagnostics;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Proxy.Edge.Hosting;
using Orleans.Proxy.RateLimiting;

namespace Orleans.Proxy.Edge.RateLimiting;

/// <summary>
/// What every partition limiter of this edge shares: the grain factory, the counters, the edge
/// count last learned from the buckets (for the fallback share), and the edge-wide fallback state,
/// logged on each change.
/// </summary>
internal sealed partial class RateLimitLeases
{
    public const string MeterName = "Orleans.Proxy.RateLimiting";

    private readonly IGrainFactory _grains;
    private readonly ILogger<RateLimitLeases> _logger;
    private readonly ConcurrentDictionary<LeasedRateLimiter, byte> _live = new();
    private readonly Counter<long> _grainCalls;
    private readonly ProxyMetrics _metrics;
    private long _grainCallCount;
    private long _requestWaits;
    private long _fallbackAdmitted;
    private long _leaseAdmitted;
    private long _rejected;
    private int _inFallback;
    private int _knownEdges = 1;

    public RateLimitLeases(IGrainFactory grains, EdgeIdentity identity, IOptions<RateLimitingOptions> options, TimeProvider time, IMeterFactory meters, ProxyMetrics metrics, ILogger<RateLimitLeases> logger)
    {
        _grains = grains;
        _metrics = metrics;
        _logger = logger;
        EdgeId = identity.Id;
        Options = options.Value;
        Time = time;
        var meter = meters.Create(MeterName);
        _grainCalls = meter.CreateCounter<long>("orleans_proxy.rate_limit.grain_calls", description: "Lease calls to rate-limit grains; path=request counts a request waiting for one");
        meter.CreateObservableGauge("orleans_proxy.rate_limit.fallback_partitions", () => Volatile.Read(ref _inFallback),
            description: "Partitions limited by the local fallback bucket because the cluster did not answer");
        Decisions = meter.CreateHistogram<double>("orleans_proxy.rate_limit.decision.duration", unit: "s",
            description: "Time the rate limiter added to an admitted request");
    }

    public string EdgeId { get; }

    public RateLimitingOptions Options { get; }

    public TimeProvider Time { get; }

    public Histogram<double> Decisions { get; }

    /// <summary>Every lease call to a rate-limit grain.</summary>
    public long GrainCalls => Interlocked.Read(ref _grainCallCount);

    /// <summary>Of those, the calls a request waited for (the first request of a partition): the only ones on the request path.</summary>
    public long RequestPathCalls => Interlocked.Read(ref _requestWaits);

    public long FallbackAdmitted => Interlocked.Read(ref _fallbackAdmitted);

    public long LeaseAdmitted => Interlocked.Read(ref _leaseAdmitted);

    public long Rejected => Interlocked.Read(ref _rejected);

    public int PartitionsInFallback => Volatile.Read(ref _inFallback);

    public int Partitions => _live.Count;

    /// <summary>The most edges any bucket reported sharing it; the fallback divides the limit by this.</summary>
    public int KnownEdges => Volatile.Read(ref _knownEdges);

    public IRateLimitGrain Grain(string key) => _grains.GetGrain<IRateLimitGrain>(key);

    public void Register(LeasedRateLimiter limiter) => _live.TryAdd(limiter, 0);

    public void Unregister(LeasedRateLimiter limiter) => _live.TryRemove(limiter, out _);

    public void CountRequestWait()
    {
        Interlocked.Increment(ref _requestWaits);
        _metrics.RequestPathGrainCall("ratelimit");
        _grainCalls.Add(1, new KeyValuePair<string, object?>("path", "request"));
    }

    public void CountBackgroundCall()
    {
        Interlocked.Increment(ref _grainCallCount);
        _grainCalls.Add(1, new KeyValuePair<string, object?>("path", "background"));
    }

    public void LeaseRefilled(string policy, TimeSpan duration, bool succeeded) => _metrics.LeaseRefilled(policy, duration, succeeded);

    public void CountFallbackAdmitted(string policy)
    {
        Interlocked.Increment(ref _fallbackAdmitted);
        _metrics.RateLimitDecision(policy, admitted: true);
    }

    public void CountLeaseAdmitted(string policy)
    {
        Interlocked.Increment(ref _leaseAdmitted);
        _metrics.RateLimitDecision(policy, admitted: true);
    }

    public void CountRejected(string policy)
    {
        Interlocked.Increment(ref _rejected);
        _metrics.RateLimitDecision(policy, admitted: false);
    }

    public void ObserveEdges(int edges)
    {
        // The latest count wins (edges come and go); it is only the fallback's divisor.
        if (edges > 0)
        {
            Volatile.Write(ref _knownEdges, edges);
        }
    }

    public void EnterFallback(string key, string reason, int edges)
    {
        if (Interlocked.Increment(ref _inFallback) == 1)
        {
            LogFallback(key, edges, reason);
        }
    }

    public void LeaveFallback()
    {
        if (Interlocked.Decrement(ref _inFallback) == 0)
        {
            LogRestored();
        }
    }

    public void ReturnUnused(string key, int tokens)
    {
        // Fire and forget: at worst the tokens expire, which only limits more.
        _ = Grain(key).ReturnTokens(EdgeId, tokens).ContinueWith(
            t => LogReturnFailed(key, t.Exception?.GetBaseException().Message ?? "cancelled"),
            CancellationToken.None, TaskContinuationOptions.NotOnRanToCompletion, TaskScheduler.Default);
    }

    public IEnumerable<LeasedRateLimiter> Live => _live.Keys;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rate limits fall back to local buckets (limit / {Edges} edges) because the cluster did not answer for {Key}: {Reason}. Limits stay enforced; requests do not wait for the cluster")]
    private partial void LogFallback(string key, int edges, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rate limits are shared through the cluster again (no partition on the local fallback)")]
    private partial void LogRestored();

    [LoggerMessage(Level = LogLevel.Debug, Message = "Returning unused tokens of {Key} failed: {Reason}; they expire instead")]
    private partial void LogReturnFailed(string key, string reason);
}
