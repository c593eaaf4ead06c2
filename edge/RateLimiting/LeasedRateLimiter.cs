using System.Threading.RateLimiting;
using Orleans.Proxy.RateLimiting;

namespace Orleans.Proxy.Edge.RateLimiting;

/// <summary>
/// One partition of one policy on this edge. Requests are decided from tokens leased from the
/// partition's grain; a lease is topped up in the background before it runs out, so
/// <see cref="AttemptAcquireCore"/> never waits. Only the first request of a new partition waits,
/// in <see cref="AcquireAsyncCore"/>, for the first lease, and no longer than
/// <see cref="RateLimitingOptions.FirstRequestTimeout"/>. When the cluster does not answer, a local
/// bucket of limit / (edges last known) decides instead: limiting goes on, and nothing waits.
/// </summary>
internal sealed class LeasedRateLimiter : RateLimiter
{
    public static readonly MetadataName<RateLimitSpec> PolicyMetadata = new("orleans-proxy.policy");

    private static readonly TimeSpan MinCallInterval = TimeSpan.FromMilliseconds(20);

    private readonly object _lock = new();
    private readonly RateLimitLeases _leases;
    private readonly TimeProvider _time;
    private readonly TimeSpan _leaseLength;

    // Lease state (under _lock). Timestamps are TimeProvider ticks.
    private double _tokens;
    private int _expiredUnused;
    private long _expiresAt;
    private long _nextCallAt;
    private Task? _call;
    private bool _callWaitedOn;
    private bool _leased;
    private int _edges;
    private double _grainTokensLeft;

    // Fallback bucket, used only while the cluster does not answer.
    private bool _fallback;
    private double _fallbackTokens;
    private long _fallbackRefilledAt;

    // Demand: every attempt counts, admitted or not, so a lease follows what the edge is asked for.
    private long _attempts;
    private long _rateSince;
    private double _recentRate;
    private long _lastUsed;
    private bool _disposed;

    public LeasedRateLimiter(RateLimitSpec spec, string partitionKey, RateLimitLeases leases)
    {
        Spec = spec;
        PartitionKey = partitionKey;
        GrainKey = IRateLimitGrain.Key(spec.PolicyId, partitionKey);
        _leases = leases;
        _time = leases.Time;
        _leaseLength = leases.Options.LeaseLength;
        _rateSince = _lastUsed = _time.GetTimestamp();
        leases.Register(this);
    }

    public RateLimitSpec Spec { get; }

    public string PartitionKey { get; }

    public string GrainKey { get; }

    public bool InFallback
    {
        get
        {
            lock (_lock)
            {
                return _fallback;
            }
        }
    }

    public override TimeSpan? IdleDuration => _time.GetElapsedTime(Interlocked.Read(ref _lastUsed));

    public override RateLimiterStatistics? GetStatistics()
    {
        lock (_lock)
        {
            return new RateLimiterStatistics { CurrentAvailablePermits = (long)Available(_time.GetTimestamp()) };
        }
    }

    public (double Tokens, double GrainTokensLeft, int Edges, double RecentRate, bool Fallback) Snapshot()
    {
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            return (Available(now), _grainTokensLeft, _edges, _recentRate, _fallback);
        }
    }

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            Interlocked.Exchange(ref _lastUsed, now);
            _attempts += permitCount;
            return Take(permitCount, now);
        }
    }

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        Task? first;
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            var lease = Take(permitCount, now);
            if (lease.IsAcquired)
            {
                return lease;
            }

            // Only a partition that never had a lease waits, and only for the call already under way.
            if (_leased || _fallback || _call is null)
            {
                _leases.CountRejected(Spec.PolicyId);
                return lease;
            }

            lease.Dispose();
            first = _call;
            if (!_callWaitedOn)
            {
                // Several first requests may wait on one call; it is one call on the request path.
                _callWaitedOn = true;
                _leases.CountRequestWait();
            }
        }

        try
        {
            await first.WaitAsync(_leases.Options.FirstRequestTimeout, _time, cancellationToken);
        }
        catch (TimeoutException)
        {
            lock (_lock)
            {
                // The call goes on and its tokens count when it lands; until then the fallback decides.
                SetFallback(true, "the first lease took longer than RateLimiting:FirstRequestTimeout");
            }
        }

        lock (_lock)
        {
            return Take(permitCount, _time.GetTimestamp(), countRejection: true);
        }
    }

    // The middleware calls AcquireAsync after AttemptAcquire refused a request, so a refusal is
    // counted only there, once per request.
    private RateLimitLease Take(int permitCount, long now, bool countRejection = false)
    {
        if (_disposed)
        {
            return Rejected(_leaseLength);
        }

        Expire(now);
        StartCallIfDue(now);
        if (permitCount == 0 || _tokens >= permitCount)
        {
            _tokens -= permitCount;
            if (permitCount > 0)
            {
                _leases.CountLeaseAdmitted(Spec.PolicyId);
            }

            return Acquired.Instance;
        }

        if (_fallback)
        {
            RefillFallback(now);
            if (_fallbackTokens >= permitCount)
            {
                _fallbackTokens -= permitCount;
                _leases.CountFallbackAdmitted(Spec.PolicyId);
                return Acquired.Instance;
            }
        }

        if (countRejection)
        {
            _leases.CountRejected(Spec.PolicyId);
        }

        return Rejected(RetryAfter(now, permitCount));
    }

    /// <summary>Starts a background lease call when the tokens run low or expire soon, unless the bucket asked us to wait.</summary>
    private void StartCallIfDue(long now)
    {
        if (_call is not null || now < _nextCallAt)
        {
            return;
        }

        var elapsed = _time.GetElapsedTime(_rateSince, now).TotalSeconds;
        // Enough time or enough requests for a usable sample; a busy new partition learns its rate fast.
        if (elapsed >= 0.05 || (_attempts >= 16 && elapsed > 0))
        {
            // Weight the newest sample by how much of a lease it covers.
            var sample = _attempts / elapsed;
            var weight = Math.Min(1, elapsed / _leaseLength.TotalSeconds);
            _recentRate = _leased ? (weight * sample) + ((1 - weight) * _recentRate) : sample;
            _attempts = 0;
            _rateSince = now;
        }

        var expected = _recentRate > 0 ? Math.Max(1, _recentRate * _leaseLength.TotalSeconds) : FirstLeaseSize();
        // While the shared bucket has plenty left, hold twice the expected need: a sudden jump in load
        // then spends the spare instead of being refused before the refill lands. The grain debits what
        // it grants and caps each edge at its share, so this never admits more than the limit.
        if (_leased && _grainTokensLeft >= 4 * expected)
        {
            expected *= 2;
        }

        var lowWater = Math.Max(1, expected * 0.3);
        var expiresSoon = _time.GetElapsedTime(now, _expiresAt) < _leaseLength * 0.5;
        if (_leased && _tokens > lowWater && !expiresSoon)
        {
            return;
        }

        var requested = (int)Math.Clamp(Math.Ceiling(expected - Math.Max(0, _tokens)), 1, int.MaxValue);
        _callWaitedOn = false;
        _call = CallAsync(requested, Math.Max(_recentRate, 1), _expiredUnused);
        _expiredUnused = 0;
    }

    /// <summary>
    /// Before a rate is known: a client's partition (client IP, header) usually comes through one
    /// edge, so it may take its share of the whole burst and a page's first burst is served; a route
    /// or host partition is shared by every edge by nature, so the first edge leaves room for others.
    /// </summary>
    private double FirstLeaseSize()
    {
        var edges = Math.Max(1, _leases.KnownEdges);
        var sharers = Spec.Key is RateLimitKeyKind.Route or RateLimitKeyKind.Host ? edges + 1 : edges;
        return Math.Max(1, Spec.Capacity / (double)sharers);
    }

    /// <summary>Drops the tokens of an expired lease, counting them to give back with the next call.</summary>
    private void Expire(long now)
    {
        if (now >= _expiresAt && _tokens >= 1)
        {
            _expiredUnused += (int)Math.Floor(_tokens);
        }

        if (now >= _expiresAt)
        {
            _tokens = 0;
        }
    }

    private async Task CallAsync(int requested, double rate, int returned)
    {
        // Leave the caller's lock first: the result is applied under the lock on another thread.
        await Task.Yield();
        _leases.CountBackgroundCall();
        var started = _time.GetTimestamp();
        try
        {
            var grant = await _leases.Grain(GrainKey).AcquireLease(new LeaseRequest(
                _leases.EdgeId, Spec.RatePerSecond, Spec.Capacity, requested, rate, _leaseLength, returned));
            _leases.LeaseRefilled(Spec.PolicyId, _time.GetElapsedTime(started), succeeded: true);
            _leases.ObserveEdges(grant.EdgesSharing);
            lock (_lock)
            {
                var now = _time.GetTimestamp();
                Expire(now);
                _tokens += grant.Granted;
                _expiresAt = now + Ticks(grant.ValidFor);
                // Never more than one call per MinCallInterval per partition, whatever the bucket says.
                _nextCallAt = now + Ticks(grant.RetryAfter > MinCallInterval ? grant.RetryAfter : MinCallInterval);
                _edges = grant.EdgesSharing;
                _grainTokensLeft = grant.TokensLeft;
                _leased = true;
                SetFallback(false, null);
                if (_disposed)
                {
                    ReturnHeld(now);
                }
            }
        }
        catch (Exception error)
        {
            _leases.LeaseRefilled(Spec.PolicyId, _time.GetElapsedTime(started), succeeded: false);
            lock (_lock)
            {
                // Returned tokens are not sent again: the bucket may have taken them already, and
                // counting them twice would let it grant more than it refilled.
                _nextCallAt = _time.GetTimestamp() + Ticks(_leaseLength);
                SetFallback(true, $"{error.GetType().Name}: {error.Message}");
            }
        }
        finally
        {
            lock (_lock)
            {
                _call = null;
            }
        }
    }

    private void SetFallback(bool on, string? reason)
    {
        if (on == _fallback || _disposed)
        {
            return;
        }

        _fallback = on;
        if (on)
        {
            var edges = _edges > 0 ? _edges : _leases.KnownEdges;
            _edges = edges;
            // A partition that had a lease keeps its tokens and adds no burst of its own: the
            // cluster-wide burst was already spent through the grain.
            _fallbackTokens = _leased ? 0 : Math.Max(1, Spec.Capacity / (double)edges);
            _fallbackRefilledAt = _time.GetTimestamp();
            _leases.EnterFallback(GrainKey, reason ?? "", edges);
        }
        else
        {
            _leases.LeaveFallback();
        }
    }

    private void RefillFallback(long now)
    {
        var edges = Math.Max(1, _edges);
        var capacity = Math.Max(1, Spec.Capacity / (double)edges);
        var seconds = _time.GetElapsedTime(_fallbackRefilledAt, now).TotalSeconds;
        _fallbackTokens = Math.Min(capacity, _fallbackTokens + (seconds * Spec.RatePerSecond / edges));
        _fallbackRefilledAt = now;
    }

    private double Available(long now) =>
        (now < _expiresAt ? Math.Max(0, _tokens) : 0) + (_fallback ? _fallbackTokens : 0);

    private TimeSpan RetryAfter(long now, int permitCount)
    {
        if (_fallback)
        {
            var perSecond = Spec.RatePerSecond / Math.Max(1, _edges);
            return TimeSpan.FromSeconds(perSecond > 0 ? Math.Max(0, permitCount - _fallbackTokens) / perSecond : Spec.PeriodLength.TotalSeconds);
        }

        return now < _nextCallAt ? _time.GetElapsedTime(now, _nextCallAt) : TimeSpan.FromSeconds(permitCount / Math.Max(Spec.RatePerSecond, 1e-9) / Math.Max(1, _edges));
    }

    private RateLimitLease Rejected(TimeSpan retryAfter) => new RejectedLease(Spec, retryAfter);

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    private void ReturnHeld(long now)
    {
        Expire(now);
        var unused = (int)Math.Floor(_tokens) + _expiredUnused;
        _tokens = 0;
        _expiredUnused = 0;
        if (unused > 0)
        {
            _leases.ReturnUnused(GrainKey, unused);
        }
    }

    protected override void Dispose(bool disposing)
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            // Unused tokens go back so other edges can use them (they would expire anyway).
            ReturnHeld(_time.GetTimestamp());
            if (_fallback)
            {
                _fallback = false;
                _leases.LeaveFallback();
            }

            _disposed = true;
        }

        _leases.Unregister(this);
        base.Dispose(disposing);
    }

    protected override ValueTask DisposeAsyncCore()
    {
        Dispose(true);
        return ValueTask.CompletedTask;
    }

    private sealed class Acquired : RateLimitLease
    {
        public static readonly Acquired Instance = new();

        public override bool IsAcquired => true;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }

    /// <summary>A refusal that carries its policy and when to retry, for the 429's headers.</summary>
    private sealed class RejectedLease(RateLimitSpec spec, TimeSpan retryAfter) : RateLimitLease
    {
        public override bool IsAcquired => false;

        public override IEnumerable<string> MetadataNames => [MetadataName.RetryAfter.Name, PolicyMetadata.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = metadataName == MetadataName.RetryAfter.Name ? retryAfter
                : metadataName == PolicyMetadata.Name ? spec
                : null;
            return metadata is not null;
        }
    }
}
