using System.Threading.RateLimiting;
using Orleans.Proxy.RateLimiting;

namespace Orleans.Proxy.Edge.RateLimiting;

/// <summary>
/// One partition of one policy on this edge, as an ASP.NET Core <see cref="RateLimiter"/>. The
/// decisions are <see cref="LeaseAccount"/>'s, under a lock; this class reads the clock, makes the
/// calls the account asks for outside the lock (in the background: no request ever waits on the
/// cluster) and applies their results. When the cluster does not answer, a local bucket of
/// limit / (edges last known) decides instead: limiting goes on, and nothing waits.
/// </summary>
internal sealed class LeasedRateLimiter : RateLimiter
{
    public static readonly MetadataName<RateLimitSpec> PolicyMetadata = new("orleans-proxy.policy");

    /// <summary>ASP.NET Core disposes a partition limiter idle for longer than this.</summary>
    private static readonly TimeSpan PartitionIdleLimit = TimeSpan.FromSeconds(10);

    private readonly object _lock = new();
    private readonly LeaseAccount _account;
    private readonly RateLimitLeases _leases;
    private readonly TimeProvider _time;
    private readonly TimeSpan _keepIdle;
    private long _lastUsed;
    private bool _disposed;
    private ITimer? _expiry;

    public LeasedRateLimiter(RateLimitSpec spec, string partitionKey, RateLimitLeases leases)
    {
        Spec = spec;
        PartitionKey = partitionKey;
        GrainKey = IRateLimitGrain.Key(spec, partitionKey);
        _leases = leases;
        _time = leases.Time;
        _lastUsed = _time.GetTimestamp();
        _account = new LeaseAccount(spec, leases.Options.LeaseLength, leases.KnownEdges, _lastUsed, _time.TimestampFrequency);
        // A partition forgotten while its bucket has not refilled would come back with a fresh
        // allowance: it stays until its state no longer matters, however short ASP.NET Core's idle limit.
        _keepIdle = _account.Memory > PartitionIdleLimit ? _account.Memory - PartitionIdleLimit : TimeSpan.Zero;
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
                return _account.Fallback;
            }
        }
    }

    /// <summary>Requests admitted locally that the grain has not debited yet.</summary>
    public int Unsettled
    {
        get
        {
            lock (_lock)
            {
                return _account.Unsettled;
            }
        }
    }

    public override TimeSpan? IdleDuration
    {
        get
        {
            var idle = _time.GetElapsedTime(Interlocked.Read(ref _lastUsed)) - _keepIdle;
            return idle > TimeSpan.Zero ? idle : TimeSpan.Zero;
        }
    }

    public override RateLimiterStatistics? GetStatistics()
    {
        lock (_lock)
        {
            return new RateLimiterStatistics { CurrentAvailablePermits = (long)_account.Available(_time.GetTimestamp()) };
        }
    }

    public (double Tokens, double GrainTokensLeft, int Edges, double RecentRate, bool Fallback, int Unsettled, int Credit) Snapshot()
    {
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            return (_account.LeaseTokens(now), _account.GrainTokensLeft, _account.Edges, _account.RecentRate, _account.Fallback, _account.Unsettled, _account.Credit(now));
        }
    }

    protected override RateLimitLease AttemptAcquireCore(int permitCount) => Acquire(permitCount, countDemand: true);

    // The middleware calls AcquireAsync after AttemptAcquire refused a request: the same request,
    // decided again (a lease may have landed since) and counted as refused only here, once.
    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Acquire(permitCount, countDemand: false));

    private RateLimitLease Acquire(int permitCount, bool countDemand)
    {
        Admission admission;
        LeaseCall? call = null;
        LeaseCall? settle = null;
        var retryAfter = TimeSpan.Zero;
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            if (countDemand)
            {
                Interlocked.Exchange(ref _lastUsed, now);
            }

            admission = _account.Take(permitCount, now, countDemand);
            if (_disposed)
            {
                // ASP.NET Core disposed this idle partition between the request finding it and acquiring
                // from it: refusing would turn away a client under its limit. Its state is that of an
                // idle partition, so it decides as usual and reports what it admits at once, as Dispose did.
                settle = _account.Close(now);
            }
            else
            {
                call = _account.CallDue(now);
            }

            if (admission == Admission.Rejected)
            {
                retryAfter = _account.RetryAfter(now, permitCount);
            }
        }

        if (call is not null)
        {
            Send(call);
        }

        if (settle is not null)
        {
            Settle(settle);
        }

        switch (admission)
        {
            case Admission.Lease when permitCount > 0:
                _leases.CountLeaseAdmitted(Spec.PolicyId);
                break;
            case Admission.Local:
                _leases.CountLocalAdmitted(Spec.PolicyId);
                break;
            case Admission.Fallback:
                _leases.CountFallbackAdmitted(Spec.PolicyId);
                break;
            case Admission.Rejected:
                if (!countDemand)
                {
                    _leases.CountRejected(Spec.PolicyId);
                }

                return new RejectedLease(Spec, retryAfter);
        }

        return Acquired.Instance;
    }

    private void Send(LeaseCall call)
    {
        _leases.CountBackgroundCall(RateLimitCall.Lease);
        var request = Request(call);
        Task<LeaseGrant> pending;
        try
        {
            pending = _leases.Source.AcquireLease(GrainKey, request);
        }
        catch (Exception error)
        {
            pending = Task.FromException<LeaseGrant>(error);
        }

        // Applied on the thread that completes the call (a few field updates under the lock), so an
        // answer takes effect as soon as it arrives, whatever the caller's synchronization context.
        _ = pending.ContinueWith(
            static (call, state) =>
            {
                var (limiter, started) = ((LeasedRateLimiter, long))state!;
                limiter.Land(call, started);
            },
            (this, _time.GetTimestamp()),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private void Land(Task<LeaseGrant> call, long started)
    {
        if (!call.IsCompletedSuccessfully)
        {
            var error = call.Exception?.GetBaseException() ?? new TaskCanceledException(call);
            _leases.LeaseRefilled(Spec.PolicyId, _time.GetElapsedTime(started), succeeded: false);
            lock (_lock)
            {
                // Counted under the lock, so a Dispose racing with this gives back exactly what was counted.
                if (_account.Failed(_time.GetTimestamp(), _leases.KnownEdges) && !_disposed)
                {
                    _leases.EnterFallback(GrainKey, $"{error.GetType().Name}: {error.Message}", _account.Edges);
                }
            }

            return;
        }

        var grant = call.Result;
        _leases.LeaseRefilled(Spec.PolicyId, _time.GetElapsedTime(started), succeeded: true);
        _leases.ObserveEdges(grant.EdgesSharing);
        bool left;
        LeaseCall? settle = null;
        long? settleAt = null;
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            // After Dispose, the fallback count was already given back.
            left = _account.Granted(grant, now) && !_disposed;
            if (_disposed)
            {
                // Gone while the call was in flight: its tokens go straight back.
                settle = _account.Close(now);
            }
            else
            {
                settleAt = _account.SettlementAt;
            }
        }

        if (left)
        {
            _leases.LeaveFallback();
        }

        if (settleAt is { } at)
        {
            ArmExpiry(at);
        }

        if (settle is not null)
        {
            Settle(settle);
        }
    }

    /// <summary>Looks for an expiry settlement at <paramref name="at"/> (a timestamp): one timer per partition, moved by each grant.</summary>
    private void ArmExpiry(long at)
    {
        var due = TimeSpan.FromSeconds(Math.Max(0, at - _time.GetTimestamp()) / (double)_time.TimestampFrequency);
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _expiry ??= _time.CreateTimer(static state => ((LeasedRateLimiter)state!).SettleExpired(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }

        _expiry.Change(due, Timeout.InfiniteTimeSpan);
    }

    private void SettleExpired()
    {
        LeaseCall? call;
        long? later = null;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            var now = _time.GetTimestamp();
            call = _account.SettlementDue(now);
            // A timer armed for an earlier grant fires before the lease it should settle has expired.
            if (call is null && _account.SettlementAt is { } at && at > now)
            {
                later = at;
            }
        }

        if (later is { } next)
        {
            ArmExpiry(next);
        }

        if (call is null)
        {
            return;
        }

        _leases.CountBackgroundCall(RateLimitCall.Expiry);
        _ = _leases.Settle(GrainKey, Request(call)).ContinueWith(
            static (settled, state) =>
            {
                var limiter = (LeasedRateLimiter)state!;
                lock (limiter._lock)
                {
                    limiter._account.Settled(settled.IsCompletedSuccessfully);
                }
            },
            this,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private LeaseRequest Request(LeaseCall call) => new(
        _leases.EdgeId, Spec.RatePerSecond, Spec.Capacity, call.Requested, call.RecentRate, _leases.Options.LeaseLength, call.Returned, call.Owed, call.CreditCap, call.OwedFor);

    private void Settle(LeaseCall call)
    {
        _leases.CountBackgroundCall(RateLimitCall.Settle);
        _ = _leases.Settle(GrainKey, Request(call));
    }

    protected override void Dispose(bool disposing)
    {
        LeaseCall? settle;
        bool wasInFallback;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _expiry?.Dispose();
            wasInFallback = _account.Fallback;
            // Unused tokens go back and local admissions are reported (a call in flight settles its own when it lands).
            settle = _account.Close(_time.GetTimestamp());
        }

        if (wasInFallback)
        {
            _leases.LeaveFallback();
        }

        if (settle is not null)
        {
            Settle(settle);
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
