using Orleans.Proxy.RateLimiting;

namespace Orleans.Proxy.Edge.RateLimiting;

/// <summary>How a request was decided.</summary>
internal enum Admission
{
    Rejected = 0,
    /// <summary>From tokens the grain granted (already debited there).</summary>
    Lease = 1,
    /// <summary>On the edge's own allowance or credit: admitted now, debited from the bucket at the next call.</summary>
    Local = 2,
    /// <summary>From the local fallback bucket, while the cluster does not answer.</summary>
    Fallback = 3,
}

/// <summary>A call to the partition's grain: decided under the limiter's lock, made outside it.</summary>
internal sealed record LeaseCall(int Requested, double RecentRate, int Returned, int Owed, int CreditCap = 0, TimeSpan OwedFor = default);

/// <summary>
/// The decisions and arithmetic of one partition on one edge, with no I/O and no clock of its own:
/// every method takes the current timestamp (<see cref="TimeProvider.GetTimestamp"/> units). Not
/// thread-safe; <see cref="LeasedRateLimiter"/> holds a lock around it and makes the calls it asks for.
/// <para>
/// A request is admitted, in this order, from the lease (tokens granted and debited by the grain),
/// from local credit (admitted now, reported as <see cref="LeaseRequest.Owed"/> with the next call
/// and debited then), or from the fallback bucket while the cluster does not answer. Local credit is
/// what keeps requests from waiting on, or being refused for, a call that has not landed: a new
/// partition may admit up to its <see cref="Allowance"/> before it has heard from the grain, and a
/// partition whose lease ran dry may admit its share of what the last grant said the bucket held plus
/// the refill since, never more than the allowance unreported at a time; the bucket keeps that credit
/// for the edge (see <see cref="LeaseGrant"/>). Once the grant has lapsed, the partition admits as a new
/// one would and reports at once. Tokens of a lease that expired unused, and requests not yet reported,
/// go back to the bucket when the lease expires (<see cref="SettlementDue"/>), not with the next call.
/// </para>
/// </summary>
internal sealed class LeaseAccount
{
    /// <summary>Never more than one call per partition per this interval, whatever the bucket says.</summary>
    public static readonly TimeSpan MinCallInterval = TimeSpan.FromMilliseconds(20);

    private readonly RateLimitSpec _spec;
    private readonly TimeSpan _leaseLength;
    private readonly long _frequency;

    // The lease.
    private int _tokens;
    private long _expiresAt;
    private int _expiredUnused;

    // Local credit: requests admitted and not yet reported to the grain, and what the last grant said.
    private int _owed;
    private long _firstOwedAt;
    private int _allowanceLeft;
    private bool _leased;
    private long _grantedAt;
    private long _creditUntil;
    private int _creditCap;
    private double _grainTokensLeft;
    private double _share = 1;
    private int _edges;

    // Calls.
    private LeaseCall? _inFlight;
    private long _callStartedAt;
    private long _nextCallAt;
    private double _callSeconds;

    // Expiry settlements: at most one in flight, and one per grant validity; owed requests they reported
    // that landed after the lease call in flight was made (its grant may not have seen them).
    private LeaseCall? _settling;
    private long _nextSettleAt;
    private int _settledDuringCall;

    // Fallback bucket, used only while the cluster does not answer.
    private bool _fallback;
    private double _fallbackTokens;
    private long _fallbackRefilledAt;

    // Demand: every attempt counts, admitted or not, so a lease follows what the edge is asked for.
    private long _attempts;
    private long _rateSince;
    private double _recentRate;

    public LeaseAccount(RateLimitSpec spec, TimeSpan leaseLength, int knownEdges, long now, long timestampFrequency)
    {
        _spec = spec;
        _leaseLength = leaseLength;
        _frequency = timestampFrequency;
        _rateSince = now;
        _edges = Math.Max(1, knownEdges);
        Allowance = AllowanceFor(spec, _edges);
        _allowanceLeft = Allowance;
    }

    /// <summary>
    /// What this edge may admit for a new partition before it has heard from the grain (it asks once
    /// half of it is spent), and afterwards the cap on its credit and on a lease. A client's partition
    /// (client IP, header) usually comes through one edge, so it may take its share of the whole
    /// burst; a route or host partition is shared by every edge by nature, so one share more is left.
    /// </summary>
    public int Allowance { get; private set; }

    public bool Fallback => _fallback;

    public bool Leased => _leased;

    public bool CallInFlight => _inFlight is not null;

    /// <summary>Requests admitted locally and not yet debited by the grain (including those reported by the calls in flight).</summary>
    public int Unsettled => _owed + (_inFlight?.Owed ?? 0) + (_settling?.Owed ?? 0);

    /// <summary>
    /// When an expiry settlement may be due (<see cref="SettlementDue"/>): once the lease has expired
    /// and the last one is a grant validity old; null while there is no grant to settle.
    /// </summary>
    public long? SettlementAt => _leased && !_fallback ? Math.Max(_expiresAt, _nextSettleAt) : null;

    public double RecentRate => _recentRate;

    public double GrainTokensLeft => _grainTokensLeft;

    public int Edges => _edges;

    /// <summary>
    /// This edge's share of the refill over two calls (as long as slow calls have lately taken, plus
    /// the pause between calls): the cap on its credit when that is above the allowance. One call is in
    /// flight at a time, so between two grants an edge admits at most its lease and its credit; when
    /// calls are slow (a starved machine, a far silo), a credit capped at the share of the burst ran out
    /// long before the next grant and the bucket sat full, its refill lost: four edges used 0.86 of the
    /// limit with calls taking 150 to 700 ms. The bound holds: the credit is still this edge's share of
    /// what the bucket refilled, and the bucket keeps it for the edge under the same cap. Leases stay
    /// capped at the allowance: a larger lease would hold tokens another edge is about to need.
    /// </summary>
    public int CallCover => (int)Math.Ceiling(_share * _spec.RatePerSecond * ((2 * _callSeconds) + MinCallInterval.TotalSeconds));

    /// <summary>How long after its last request the partition's state still matters: the bucket refills completely and every lease expires.</summary>
    public TimeSpan Memory => TimeSpan.FromSeconds(_spec.Capacity / Math.Max(_spec.RatePerSecond, 1e-9)) + (2 * _leaseLength);

    public static int AllowanceFor(RateLimitSpec spec, int knownEdges)
    {
        var edges = Math.Max(1, knownEdges);
        var sharers = spec.Key is RateLimitKeyKind.Route or RateLimitKeyKind.Host ? edges + 1 : edges;
        return Math.Max(1, spec.Capacity / sharers);
    }

    /// <summary>Decides a request (<paramref name="countDemand"/>: false when the same request is asked again).</summary>
    public Admission Take(int permits, long now, bool countDemand = true)
    {
        if (countDemand)
        {
            _attempts += permits;
        }

        Expire(now);
        if (permits == 0)
        {
            return Admission.Lease;
        }

        if (_tokens >= permits)
        {
            _tokens -= permits;
            return Admission.Lease;
        }

        if (!_fallback)
        {
            // Before the first grant, the partition's allowance; after, the credit the bucket keeps
            // for this edge (the grant says how much; the allowance is not spent twice).
            if (_leased ? Unsettled + permits <= Credit(now) : _allowanceLeft >= permits)
            {
                _allowanceLeft -= _leased ? 0 : permits;
                _firstOwedAt = _owed == 0 ? now : _firstOwedAt;
                _owed += permits;
                return Admission.Local;
            }
        }

        if (_fallback)
        {
            RefillFallback(now);
            if (_fallbackTokens >= permits)
            {
                _fallbackTokens -= permits;
                return Admission.Fallback;
            }
        }

        return Admission.Rejected;
    }

    /// <summary>
    /// The local credit now (unsettled requests included): before any grant, the allowance; after,
    /// until the grant's validity ends, this edge's share of what the bucket held at the last grant
    /// (less what it keeps for other edges) plus of its refill since, capped by the allowance or <see cref="CallCover"/> announced. A sudden jump in load is then admitted rather than refused before
    /// the next lease lands, and a late call does not leave the limit unused. The bucket holds the same
    /// credit for this edge, computed from its own (earlier) grant time, so it is never granted twice.
    /// Once the grant has lapsed, all of what the bucket held plus its refill, at most the allowance.
    /// </summary>
    public int Credit(long now)
    {
        if (_fallback)
        {
            return 0;
        }

        if (!_leased)
        {
            return Unsettled + _allowanceLeft;
        }

        var projected = _grainTokensLeft + (Seconds(_grantedAt, now) * _spec.RatePerSecond);
        if (now >= _creditUntil)
        {
            // The grant lapsed (the key went quieter than its validity): the bucket keeps nothing for
            // this edge any more, but what it held at the last grant (debts included) plus the refill
            // since is there unless others took it, so the edge admits as a new partition would, at
            // most its allowance unreported: refusing under the limit for a call not yet made is worse,
            // and an edge cannot take it twice before its report is debited.
            return (int)Math.Clamp(Math.Floor(projected), 0, Allowance);
        }

        return (int)Math.Clamp(Math.Floor(_share * projected), 0, _creditCap);
    }

    /// <summary>The call to make now, if one is due; it is then in flight until <see cref="Granted"/> or <see cref="Failed"/>.</summary>
    public LeaseCall? CallDue(long now)
    {
        if (_inFlight is not null || now < _nextCallAt)
        {
            return null;
        }

        UpdateRate(now);
        var expected = _recentRate > 0 ? Math.Max(1, _recentRate * _leaseLength.TotalSeconds) : Allowance;
        // While the shared bucket has plenty left, hold twice the expected need: a jump in load spends the spare.
        if (_leased && _grainTokensLeft >= 4 * expected)
        {
            expected *= 2;
        }

        // A lease is at most the edge's share of the burst: one edge's burst of requests does not
        // leave another, whose first requests come next, with the bucket held idle in a lease.
        var target = Math.Min(expected, Math.Max(1, Allowance));
        bool due;
        if (_fallback)
        {
            // Every request after the back-off tries the cluster again.
            due = true;
        }
        else if (!_leased)
        {
            // A new partition settles once it has spent half its allowance: a key that sees a few
            // requests never calls at all until it goes idle. One that keeps coming back (three requests
            // over more than a lease) settles then: other edges may be seeing it too, and an edge that
            // has not learned how many share it (a fleet just started, or one whose other keys are each
            // on one edge) would admit up to the whole burst first, which the others then repay by refusing.
            due = _owed >= Math.Max(1, (Allowance + 1) / 2) || (_owed >= 3 && Seconds(_firstOwedAt, now) >= _leaseLength.TotalSeconds);
        }
        else
        {
            var credit = Credit(now);
            // Once the grant has lapsed the bucket keeps nothing for this edge: what it admits on its own
            // is reported at once, before other edges' grants take the same tokens.
            var settle = _owed > 0 && (now >= _creditUntil || _owed >= Math.Max(1, credit / 2));
            // The lease runs low and the credit would not cover the coming demand.
            var refill = _tokens <= Math.Max(1, target * 0.3) && target > credit - _owed;
            due = settle || refill;
        }

        if (!due)
        {
            return null;
        }

        var requested = (int)Math.Max(1, Math.Ceiling(target - _tokens));
        _inFlight = new LeaseCall(requested, Math.Max(_recentRate, 1), _expiredUnused, _owed, Math.Max(Allowance, CallCover), OwedFor(now));
        _callStartedAt = now;
        _settledDuringCall = 0;
        _expiredUnused = 0;
        _owed = 0;
        return _inFlight;
    }

    /// <summary>
    /// The settlement to make now, if the lease has expired with tokens unused or requests unreported:
    /// they go back to the bucket when they stop being of use here, not with the next call, however
    /// late. Until then the bucket reads lower than it is (each edge's expired lease still debited), and
    /// the grants other edges get, and the credit they compute from them, say so. None while a lease
    /// call is in flight (its grant comes first) and at most one per grant validity; it is then in
    /// flight until <see cref="Settled"/>.
    /// </summary>
    public LeaseCall? SettlementDue(long now)
    {
        if (SettlementAt is not { } due || now < due || _inFlight is not null || _settling is not null)
        {
            return null;
        }

        Expire(now);
        if (_expiredUnused == 0 && _owed == 0)
        {
            return null;
        }

        _settling = new LeaseCall(0, 0, _expiredUnused, _owed, OwedFor: OwedFor(now));
        _expiredUnused = 0;
        _owed = 0;
        _nextSettleAt = now + Ticks(2 * _leaseLength);
        return _settling;
    }

    /// <summary>An expiry settlement landed or failed.</summary>
    public void Settled(bool succeeded)
    {
        var call = _settling;
        _settling = null;
        if (call is null)
        {
            return;
        }

        // A lease call made while this one was in flight may have been answered before it was debited.
        // A failed one is reported again (counted twice it only limits more); its returned tokens are
        // not (counted twice they would let the bucket grant more than it refilled).
        if (!succeeded)
        {
            _owed += call.Owed;
        }
        else if (_inFlight is not null)
        {
            _settledDuringCall += call.Owed;
        }
    }

    /// <summary>Applies a grant; true when it ends the fallback.</summary>
    public bool Granted(LeaseGrant grant, long now)
    {
        _creditCap = _inFlight?.CreditCap ?? 0;
        var took = Seconds(_callStartedAt, now);
        // Up at once, down slowly: the cover must last through the slow calls, not the average one.
        _callSeconds = Math.Max(took, (0.8 * _callSeconds) + (0.2 * took));
        // The grant was made after the call started: counting its validity from then ends the credit
        // no later than the bucket stops holding it.
        _creditUntil = _callStartedAt + Ticks(grant.ValidFor);
        _inFlight = null;
        Expire(now);
        _tokens += grant.Granted;
        _expiresAt = now + Ticks(grant.ValidFor);
        // Requests admitted on credit while the call was in flight are paid from the new lease.
        var pay = Math.Min(_tokens, _owed);
        _tokens -= pay;
        _owed -= pay;
        _nextCallAt = now + Ticks(grant.RetryAfter > MinCallInterval ? grant.RetryAfter : MinCallInterval);
        _grantedAt = now;
        // Owed requests of a settlement this grant may not have seen count as debited: counted twice they only limit more.
        _grainTokensLeft = grant.TokensLeft - _settledDuringCall - (_settling?.Owed ?? 0);
        _share = Math.Clamp(grant.Share, 0, 1);
        _edges = Math.Max(1, grant.EdgesSharing);
        Allowance = AllowanceFor(_spec, _edges);
        _leased = true;
        var left = _fallback;
        _fallback = false;
        return left;
    }

    /// <summary>A call failed: back off for a lease length and limit locally meanwhile; true when this starts the fallback.</summary>
    public bool Failed(long now, int knownEdges)
    {
        var call = _inFlight;
        _inFlight = null;
        // Returned tokens are not sent again (the bucket may have taken them; counting them twice
        // would let it grant more than it refilled). Owed requests are (counted twice they only limit more).
        _owed += call?.Owed ?? 0;
        _nextCallAt = now + Ticks(_leaseLength);
        if (_fallback)
        {
            return false;
        }

        _fallback = true;
        _edges = _leased ? _edges : Math.Max(_edges, Math.Max(1, knownEdges));
        // A partition that had a lease keeps its tokens and adds no burst of its own: the
        // cluster-wide burst was already spent through the grain. A new one has what is left of its
        // allowance (its share of the burst), then refills at its share of the rate.
        _fallbackTokens = _leased ? 0 : _allowanceLeft;
        _allowanceLeft = 0;
        _fallbackRefilledAt = now;
        return true;
    }

    /// <summary>What to give back and report when the partition goes away (null when nothing).</summary>
    public LeaseCall? Close(long now)
    {
        Expire(now);
        var returned = _tokens + _expiredUnused;
        var owed = _owed;
        _tokens = 0;
        _expiredUnused = 0;
        _owed = 0;
        return returned > 0 || owed > 0 ? new LeaseCall(0, 0, returned, owed, OwedFor: OwedFor(now)) : null;
    }

    /// <summary>Tokens this edge can admit now without asking anyone (lease, credit, fallback).</summary>
    public double Available(long now) =>
        (now < _expiresAt ? Math.Max(0, _tokens) : 0) + (_fallback ? _fallbackTokens : Math.Max(0, Credit(now) - Unsettled));

    public double LeaseTokens(long now) => now < _expiresAt ? _tokens : 0;

    /// <summary>When a refused client may come back.</summary>
    public TimeSpan RetryAfter(long now, int permits)
    {
        if (_fallback)
        {
            var perSecond = _spec.RatePerSecond / Math.Max(1, _edges);
            return TimeSpan.FromSeconds(perSecond > 0 ? Math.Max(0, permits - _fallbackTokens) / perSecond : _spec.PeriodLength.TotalSeconds);
        }

        return now < _nextCallAt
            ? TimeSpan.FromSeconds(Seconds(now, _nextCallAt))
            : TimeSpan.FromSeconds(permits / Math.Max(_spec.RatePerSecond * _share, 1e-9));
    }

    /// <summary>Drops the tokens of an expired lease, counting them to give back with the next call.</summary>
    private void Expire(long now)
    {
        if (now >= _expiresAt && _tokens > 0)
        {
            _expiredUnused += _tokens;
            _tokens = 0;
        }
    }

    private TimeSpan OwedFor(long now) => _owed > 0 ? TimeSpan.FromSeconds(Seconds(_firstOwedAt, now)) : TimeSpan.Zero;

    private void UpdateRate(long now)
    {
        var elapsed = Seconds(_rateSince, now);
        if (!_leased)
        {
            // Until the first grant, the requests since the partition appeared, over at least a lease
            // length: one short gap between two requests is not a rate (the first call would report it to
            // the bucket, and size a lease by it), and a busy new partition still asks for a large lease.
            _recentRate = _attempts / Math.Max(elapsed, _leaseLength.TotalSeconds);
            return;
        }

        // Enough time or enough requests for a usable sample.
        if (elapsed >= 0.05 || (_attempts >= 16 && elapsed > 0))
        {
            // Weight the newest sample by how much of a lease it covers.
            var sample = _attempts / elapsed;
            var weight = Math.Min(1, elapsed / _leaseLength.TotalSeconds);
            _recentRate = (weight * sample) + ((1 - weight) * _recentRate);
            _attempts = 0;
            _rateSince = now;
        }
    }

    private void RefillFallback(long now)
    {
        var edges = Math.Max(1, _edges);
        var capacity = Math.Max(1, _spec.Capacity / (double)edges);
        _fallbackTokens = Math.Min(capacity, _fallbackTokens + (Seconds(_fallbackRefilledAt, now) * _spec.RatePerSecond / edges));
        _fallbackRefilledAt = now;
    }

    private double Seconds(long from, long to) => (to - from) / (double)_frequency;

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _frequency);
}
