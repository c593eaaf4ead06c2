using Orleans.Proxy.Diagnostics;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Proxy.Edge.Hosting;
using Orleans.Proxy.RateLimiting;

namespace Orleans.Proxy.Edge.RateLimiting;

/// <summary>The background calls a partition makes to its bucket.</summary>
internal enum RateLimitCall
{
    /// <summary>Settles what the edge admitted on its own and takes a lease.</summary>
    Lease = 0,
    /// <summary>The partition went away: unused tokens back, local admissions reported.</summary>
    Settle = 1,
    /// <summary>Its lease expired: unused tokens back, local admissions reported, the partition stays.</summary>
    Expiry = 2,
}

/// <summary>
/// What every partition limiter of this edge shares: where leases come from, the counters, the edge
/// count last learned from the buckets (for allowances and the fallback share), and the edge-wide
/// fallback state, logged on each change.
/// </summary>
internal sealed partial class RateLimitLeases
{
    public const string MeterName = "Orleans.Proxy.RateLimiting";

    private readonly IRateLimitLeaseSource _source;
    private readonly ILogger<RateLimitLeases> _logger;
    private readonly ConcurrentDictionary<LeasedRateLimiter, byte> _live = new();
    private readonly Counter<long> _grainCalls;
    private readonly ProxyMetrics _metrics;
    private long _grainCallCount;
    private long _settlements;
    private long _expirySettlements;
    private long _fallbackAdmitted;
    private long _localAdmitted;
    private long _leaseAdmitted;
    private long _rejected;
    private int _inFallback;
    private int _knownEdges = 1;

    public RateLimitLeases(IRateLimitLeaseSource source, EdgeIdentity identity, IOptions<RateLimitingOptions> options, TimeProvider time, IMeterFactory meters, ProxyMetrics metrics, ILogger<RateLimitLeases> logger)
    {
        _source = source;
        _metrics = metrics;
        _logger = logger;
        EdgeId = identity.Id;
        Options = options.Value;
        Time = time;
        var meter = meters.Create(MeterName);
        _grainCalls = meter.CreateCounter<long>("orleans_proxy.rate_limit.grain_calls", description: "Calls to rate-limit grains, all made in the background: call=lease, call=expiry when a lease expired unused, or call=settle when a partition goes away");
        meter.CreateObservableGauge("orleans_proxy.rate_limit.fallback_partitions", () => Volatile.Read(ref _inFallback),
            description: "Partitions limited by the local fallback bucket because the cluster did not answer");
        Decisions = meter.CreateHistogram<double>("orleans_proxy.rate_limit.decision.duration", unit: "s",
            description: "Time the rate limiter added to an admitted request");
    }

    public string EdgeId { get; }

    public RateLimitingOptions Options { get; }

    public TimeProvider Time { get; }

    public Histogram<double> Decisions { get; }

    public IRateLimitLeaseSource Source => _source;

    /// <summary>Every call to a rate-limit grain (leases and settlements); no request waits on one.</summary>
    public long GrainCalls => Interlocked.Read(ref _grainCallCount);

    /// <summary>Of those, the settlements of partitions that went away (idle keys): one each at most.</summary>
    public long Settlements => Interlocked.Read(ref _settlements);

    /// <summary>Of those, the settlements of leases that expired with tokens unused or requests unreported.</summary>
    public long ExpirySettlements => Interlocked.Read(ref _expirySettlements);

    public long FallbackAdmitted => Interlocked.Read(ref _fallbackAdmitted);

    /// <summary>Requests admitted on a partition's allowance or credit, debited from the bucket afterwards.</summary>
    public long LocalAdmitted => Interlocked.Read(ref _localAdmitted);

    /// <summary>Requests admitted locally by the live partitions that no grain has debited yet.</summary>
    public long Unsettled => _live.Keys.Sum(l => (long)l.Unsettled);

    public long LeaseAdmitted => Interlocked.Read(ref _leaseAdmitted);

    public long Rejected => Interlocked.Read(ref _rejected);

    public int PartitionsInFallback => Volatile.Read(ref _inFallback);

    public int Partitions => _live.Count;

    /// <summary>The most edges any bucket reported sharing it; the fallback divides the limit by this.</summary>
    public int KnownEdges => Volatile.Read(ref _knownEdges);

    public void Register(LeasedRateLimiter limiter) => _live.TryAdd(limiter, 0);

    public void Unregister(LeasedRateLimiter limiter) => _live.TryRemove(limiter, out _);

    public void CountBackgroundCall(RateLimitCall call)
    {
        Interlocked.Increment(ref _grainCallCount);
        if (call == RateLimitCall.Settle)
        {
            Interlocked.Increment(ref _settlements);
        }
        else if (call == RateLimitCall.Expiry)
        {
            Interlocked.Increment(ref _expirySettlements);
        }

        _grainCalls.Add(1, new KeyValuePair<string, object?>("call", call switch
        {
            RateLimitCall.Settle => "settle",
            RateLimitCall.Expiry => "expiry",
            _ => "lease",
        }));
    }

    public void LeaseRefilled(string policy, TimeSpan duration, bool succeeded) => _metrics.LeaseRefilled(policy, duration, succeeded);

    public void CountFallbackAdmitted(string policy)
    {
        Interlocked.Increment(ref _fallbackAdmitted);
        _metrics.RateLimitDecision(policy, admitted: true);
    }

    public void CountLocalAdmitted(string policy)
    {
        Interlocked.Increment(ref _localAdmitted);
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

    public Task Settle(string key, LeaseRequest request)
    {
        Task settled;
        try
        {
            settled = _source.Settle(key, request);
        }
        catch (Exception error)
        {
            settled = Task.FromException(error);
        }

        // Not retried: unused tokens then expire, which only limits more. A partition that went away
        // loses its unreported requests to the bucket (at most one allowance, the documented bound); a
        // live one reports them again with its next call.
        _ = settled.ContinueWith(
            t => LogReturnFailed(key, t.Exception?.GetBaseException().Message ?? "cancelled"),
            CancellationToken.None, TaskContinuationOptions.NotOnRanToCompletion, TaskScheduler.Default);
        return settled;
    }

    public IEnumerable<LeasedRateLimiter> Live => _live.Keys;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rate limits fall back to local buckets (limit / {Edges} edges) because the cluster did not answer for {Key}: {Reason}. Limits stay enforced; requests do not wait for the cluster")]
    private partial void LogFallback(string key, int edges, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rate limits are shared through the cluster again (no partition on the local fallback)")]
    private partial void LogRestored();

    [LoggerMessage(Level = LogLevel.Debug, Message = "Settling {Key} (unused tokens, local admissions) failed: {Reason}")]
    private partial void LogReturnFailed(string key, string reason);
}
