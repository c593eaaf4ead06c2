namespace Orleans.Proxy.RateLimiting;

/// <summary>
/// A shared token bucket held in memory. A silo crash loses it once: the grain comes back on
/// another silo with a full bucket (docs/rate-limiting.md states the resulting overshoot). A bucket
/// that is full again, with no lease out and no edge calling, deactivates itself: a new activation
/// would start in the same state, so a flood of one-off keys does not hold memory for long.
/// </summary>
internal sealed class RateLimitGrain : Grain, IRateLimitGrain
{
    /// <summary>How long a bucket that was never used (e.g. only read for diagnostics) stays active.</summary>
    internal static readonly TimeSpan UnusedLifetime = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan MinIdleCheck = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan MaxIdleCheck = TimeSpan.FromHours(1);

    private readonly TimeProvider _time;
    private readonly LeaseBucket _bucket;
    private IGrainTimer? _idleCheck;

    public RateLimitGrain(TimeProvider time)
    {
        _time = time;
        _bucket = new LeaseBucket(time.GetUtcNow());
    }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // One timer per bucket, re-armed for the moment the bucket will be quiet; it does not keep the grain alive.
        _idleCheck = this.RegisterGrainTimer(DeactivateIfQuiet, new GrainTimerCreationOptions
        {
            DueTime = UnusedLifetime,
            Period = Timeout.InfiniteTimeSpan,
            Interleave = false,
            KeepAlive = false,
        });
        return Task.CompletedTask;
    }

    public Task<LeaseGrant> AcquireLease(LeaseRequest request) =>
        Task.FromResult(_bucket.Grant(WithOwnSettings(request), _time.GetUtcNow()));

    public Task Settle(LeaseRequest request)
    {
        var now = _time.GetUtcNow();
        _bucket.Settle(WithOwnSettings(request), now);
        // Most settlements come from keys seen briefly, whose bucket is activated only for this: it
        // goes as soon as it has refilled, not after the unused lifetime.
        ScheduleIdleCheck(_bucket.QuietAt(now) - now);
        return Task.CompletedTask;
    }

    public Task<RateLimitState> GetState() =>
        Task.FromResult(_bucket.State(this.GetPrimaryKeyString(), _time.GetUtcNow()) with { Silo = RuntimeIdentity });

    /// <summary>The rate and capacity the key names, whatever the edge sent (see <see cref="IRateLimitGrain"/>).</summary>
    private LeaseRequest WithOwnSettings(LeaseRequest request) =>
        IRateLimitGrain.TryReadSettings(this.GetPrimaryKeyString(), out var rate, out var capacity)
            ? request with { RatePerSecond = rate, Capacity = capacity }
            : request;

    private Task DeactivateIfQuiet(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var quietAt = _bucket.QuietAt(now);
        if (quietAt <= now)
        {
            this.DeactivateOnIdle();
        }
        else
        {
            ScheduleIdleCheck(quietAt - now);
        }

        return Task.CompletedTask;
    }

    private void ScheduleIdleCheck(TimeSpan due) =>
        _idleCheck?.Change(due < MinIdleCheck ? MinIdleCheck : due > MaxIdleCheck ? MaxIdleCheck : due, Timeout.InfiniteTimeSpan);
}
