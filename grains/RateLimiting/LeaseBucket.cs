using System.Collections.Immutable;

namespace Orleans.Proxy.RateLimiting;

/// <summary>
/// The arithmetic of one shared token bucket, apart from the grain so it can be tested with an
/// explicit clock. Tokens leave through grants (before an edge uses them) and through debts (requests
/// an edge admitted on its own allowance or credit, debited when it settles). Grants never take the
/// bucket below zero; debts may, and nothing is granted until the refill has paid them. So
/// granted - returned + owed &lt;= capacity + rate * elapsed - min(0, tokens left): the bound the
/// whole feature rests on.
/// </summary>
internal sealed class LeaseBucket(DateTimeOffset activatedAt)
{
    /// <summary>An edge that took no tokens for this long no longer counts as sharing the bucket.</summary>
    public static readonly TimeSpan ActiveWindow = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan MinRetry = TimeSpan.FromMilliseconds(20);

    // Floor for an edge's weight, so a new or quiet edge still gets a token.
    private const double MinWeight = 0.5;

    private readonly DateTimeOffset _activatedAt = activatedAt;
    private readonly Dictionary<string, Edge> _edges = new(StringComparer.Ordinal);

    // When the bucket sat full and refill was thrown away; a debit that reaches the bucket late gets
    // back what it would have kept from being thrown away (see Recover).
    private readonly List<(DateTimeOffset From, DateTimeOffset To)> _full = [];
    private TimeSpan _lookBack;
    private double _tokens = double.NaN;
    private double _rate;
    private int _capacity;
    private DateTimeOffset _refilledAt;

    public long TotalGranted { get; private set; }

    public long TotalReturned { get; private set; }

    public long TotalOwed { get; private set; }

    /// <summary>Tokens in the bucket now (negative while edges owe more than it held).</summary>
    public double TokensLeft(DateTimeOffset now)
    {
        Refill(now);
        return double.IsNaN(_tokens) ? 0 : _tokens;
    }

    public LeaseGrant Grant(LeaseRequest request, DateTimeOffset now)
    {
        var owedSince = Configure(request, now);
        if (!_edges.TryGetValue(request.EdgeId, out var edge))
        {
            _edges[request.EdgeId] = edge = new Edge();
        }

        // The edge may go on spending its credit until this answer reaches it; whatever it spends
        // then is paid from this grant, so the grant covers the credit the bucket kept for it.
        var creditInFlight = (int)Math.Ceiling(Math.Max(0, edge.Credit(now, _rate) - Math.Max(0, request.Owed)));
        Settle(request.EdgeId, request.Returned, request.Owed, owedSince, now);

        edge.RecentRate = Math.Max(0, request.RecentRate);
        edge.LastSeen = now;
        var active = Active(now);
        var weight = Math.Max(MinWeight, edge.RecentRate);
        var share = weight / (weight + active.Where(e => e != edge).Sum(e => e.Weight(now)));

        // One edge takes at most its share of the capacity at a time (never less than capacity / edges:
        // a quiet edge asks for little anyway), so a busy edge cannot starve the others, and never the
        // credit the others may be spending (their share of the tokens left at their last grant plus of
        // the refill since): what they report later is then already here.
        var wanted = Math.Max(creditInFlight, request.Requested <= 0 ? 0 : Math.Min(request.Requested, Math.Max(1, (int)(_capacity * Math.Max(share, 1.0 / active.Count)))));
        var others = active.Where(e => e != edge).ToList();
        var reserved = others.Sum(e => e.Credit(now, _rate));
        var granted = (int)Math.Min(wanted, Math.Floor(Math.Max(0, _tokens - reserved)));
        _tokens -= granted;
        TotalGranted += granted;
        edge.Granted += granted;
        var validFor = request.LeaseLength * 2;
        edge.Held = now < edge.HeldUntil ? edge.Held + granted : granted;
        edge.HeldUntil = now + validFor;
        edge.GrantedAt = now;
        // What the others may spend is theirs: this edge's credit counts only on the rest.
        var unreserved = _tokens - reserved;
        edge.TokensAtGrant = unreserved;
        edge.Share = share;
        edge.CreditCap = Math.Max(0, request.CreditCap);

        var retryAfter = TimeSpan.Zero;
        if (granted < request.Requested)
        {
            // Short of what it asked for: come back when this edge's share of the refill makes
            // another batch, but before the bucket overflows (refill past capacity is lost), so
            // the limit is used rather than wasted and the edge does not call for scraps.
            var ownShare = _rate > 0 ? Math.Max(1, wanted) / (_rate * share) : request.LeaseLength.TotalSeconds;
            // Half the time to full leaves room for a slow call on a loaded edge.
            var untilFull = _rate > 0 ? 0.5 * (_capacity - _tokens) / _rate : ownShare;
            retryAfter = Clamp(TimeSpan.FromSeconds(Math.Min(ownShare, untilFull)), MinRetry, request.LeaseLength);
        }

        return new LeaseGrant(granted, validFor, retryAfter, active.Count, unreserved, share);
    }

    /// <summary>Settles an edge that is leaving the partition: takes back its unused tokens and debits its debt.</summary>
    public void Settle(LeaseRequest request, DateTimeOffset now)
    {
        if (request.Owed <= 0 && (request.Returned <= 0 || double.IsNaN(_tokens)))
        {
            return;
        }

        var owedSince = Configure(request, now);
        Settle(request.EdgeId, request.Returned, request.Owed, owedSince, now);
    }

    /// <summary>
    /// The first call sets the parameters and fills the bucket; later calls apply a changed policy.
    /// Refills up to when the edge admitted the first of the requests it reports (at most two lease
    /// lengths back, and never before the bucket's last change), so <see cref="Settle(string, int, int, DateTimeOffset, DateTimeOffset)"/>
    /// debits them as of then: a bucket that read full while an edge admitted on its allowance (every new
    /// partition until its first call) would otherwise lose that time's refill, and a key over its limit
    /// on four edges was admitted 0.93 of what the bucket allows. Returns when the first of them was
    /// admitted (before the bucket's last change, when they are that late).
    /// </summary>
    private DateTimeOffset Configure(LeaseRequest request, DateTimeOffset now)
    {
        var owedSince = request.Owed > 0 ? now - Clamp(request.OwedFor, TimeSpan.Zero, request.LeaseLength * 2) : now;
        if (double.IsNaN(_tokens))
        {
            _refilledAt = owedSince;
        }

        Refill(owedSince > _refilledAt ? owedSince : _refilledAt);
        _rate = request.RatePerSecond;
        _capacity = Math.Max(1, request.Capacity);
        _lookBack = request.LeaseLength * 2;
        if (double.IsNaN(_tokens))
        {
            _tokens = _capacity;
        }

        _tokens = Math.Min(_tokens, _capacity);
        return owedSince;
    }

    /// <summary>
    /// Debits requests an edge admitted without a lease as of the moment <see cref="Configure"/> refilled
    /// up to (below zero if need be: they were admitted, so they count), refills up to now, and takes
    /// back unused tokens (never above capacity).
    /// </summary>
    private void Settle(string edgeId, int returned, int owed, DateTimeOffset owedSince, DateTimeOffset now)
    {
        _edges.TryGetValue(edgeId, out var edge);
        if (owed > 0)
        {
            _tokens -= owed - Recover(owed, owedSince);
            TotalOwed += owed;
            if (edge is not null)
            {
                edge.Owed += owed;
            }
        }

        Refill(now);
        // Only tokens this bucket granted the edge and has not had back: a lease from a bucket lost with
        // a silo, returned to the new one, would be refill it never had.
        returned = (int)Math.Clamp(returned, 0, edge is null ? 0 : edge.Granted - edge.Returned);
        if (returned > 0)
        {
            _tokens = Math.Min(_capacity, _tokens + returned);
            TotalReturned += returned;
            if (edge is not null)
            {
                edge.Returned += returned;
                edge.Held = Math.Max(0, edge.Held - returned);
            }
        }
    }

    /// <summary>
    /// When forgetting this bucket changes nothing: it is full again, no edge holds tokens from it and
    /// none has called lately. A new activation then starts in the same state.
    /// </summary>
    public DateTimeOffset QuietAt(DateTimeOffset now)
    {
        if (double.IsNaN(_tokens))
        {
            return now;
        }

        Refill(now);
        // Capped at a day: the grain re-checks then.
        var quiet = now + TimeSpan.FromSeconds(_rate > 0 ? Math.Min(86_400, Math.Max(0, _capacity - _tokens) / _rate) : 86_400);
        foreach (var edge in _edges.Values)
        {
            var last = edge.HeldUntil > edge.LastSeen + ActiveWindow ? edge.HeldUntil : edge.LastSeen + ActiveWindow;
            quiet = last > quiet ? last : quiet;
        }

        return quiet;
    }

    public RateLimitState State(string key, DateTimeOffset now)
    {
        Refill(now);
        return new RateLimitState(
            key,
            !double.IsNaN(_tokens),
            double.IsNaN(_tokens) ? 0 : _tokens,
            _capacity,
            _rate,
            _activatedAt,
            TotalGranted,
            TotalReturned,
            [.. _edges.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => new RateLimitEdgeState(
                e.Key, now < e.Value.HeldUntil ? e.Value.Held : 0, e.Value.HeldUntil, e.Value.RecentRate, e.Value.LastSeen, e.Value.Granted, e.Value.Returned, e.Value.Owed))],
            TotalOwed);
    }

    private List<Edge> Active(DateTimeOffset now)
    {
        foreach (var stale in _edges.Where(e => now - e.Value.LastSeen > ActiveWindow * 6).Select(e => e.Key).ToList())
        {
            _edges.Remove(stale);
        }

        return [.. _edges.Values.Where(e => now - e.LastSeen <= ActiveWindow)];
    }

    private void Refill(DateTimeOffset now)
    {
        if (!double.IsNaN(_tokens) && now > _refilledAt)
        {
            var refill = (now - _refilledAt).TotalSeconds * _rate;
            if (_rate > 0 && _tokens + refill > _capacity)
            {
                var fullFrom = _refilledAt + TimeSpan.FromSeconds(Math.Max(0, _capacity - _tokens) / _rate);
                // One span while the bucket stays full; none older than a debit can reach back.
                if (_full.Count > 0 && _full[^1].To >= fullFrom)
                {
                    _full[^1] = (_full[^1].From, now);
                }
                else
                {
                    _full.Add((fullFrom, now));
                }
            }

            var stale = 0;
            while (stale < _full.Count && _full[stale].To < now - _lookBack)
            {
                stale++;
            }

            _full.RemoveRange(0, stale);

            _tokens = Math.Min(_capacity, _tokens + refill);
        }

        if (now > _refilledAt)
        {
            _refilledAt = now;
        }
    }

    /// <summary>
    /// Requests admitted since <paramref name="owedSince"/> but debited only now, as of the bucket's last
    /// change: had they been debited when admitted, the bucket would not have sat full for as long, and the
    /// refill it threw away meanwhile would have been kept. That refill (at most the debit) comes back, so
    /// a late debit costs what a timely one would have (eight edges reporting a new key's first requests
    /// one after another lost up to a burst's worth otherwise).
    /// </summary>
    private int Recover(int owed, DateTimeOffset owedSince)
    {
        double recovered = 0;
        var spans = _full.ToArray();
        _full.Clear();
        foreach (var (from, to) in spans)
        {
            var start = from > owedSince ? from : owedSince;
            if (start >= to || _rate <= 0)
            {
                _full.Add((from, to));
                continue;
            }

            var take = Math.Min((to - start).TotalSeconds * _rate, owed - recovered);
            recovered += take;
            // What this debit took back is not there for the next one; the rest stays.
            if (start > from)
            {
                _full.Add((from, start));
            }

            var rest = start + TimeSpan.FromSeconds(take / _rate);
            if (rest < to)
            {
                _full.Add((rest, to));
            }
        }

        return (int)Math.Floor(recovered);
    }

    private static TimeSpan Clamp(TimeSpan value, TimeSpan min, TimeSpan max) =>
        value < min ? min : value > max ? (max < min ? min : max) : value;

    private sealed class Edge
    {
        public double RecentRate { get; set; }

        public DateTimeOffset LastSeen { get; set; }

        public int Held { get; set; }

        public DateTimeOffset HeldUntil { get; set; }

        public long Granted { get; set; }

        public long Returned { get; set; }

        public long Owed { get; set; }

        public DateTimeOffset GrantedAt { get; set; }

        public double TokensAtGrant { get; set; }

        public double Share { get; set; }

        public int CreditCap { get; set; }

        /// <summary>
        /// Its claim on shares: its recent rate while its grant holds. An edge that has not called again
        /// within its grant's validity is not taking tokens at the rate it reported (its lease would have
        /// run low): a clump of requests measured as a high rate must not shrink the others' shares for
        /// the seconds it still counts as sharing.
        /// </summary>
        public double Weight(DateTimeOffset now) => now < HeldUntil ? Math.Max(MinWeight, RecentRate) : MinWeight;

        /// <summary>
        /// What the edge may have admitted on credit since its last grant (it computes the same from a
        /// later instant, so never more), as far as its demand makes it plausible: a quiet edge does not
        /// hold back tokens from busy ones.
        /// </summary>
        public double Credit(DateTimeOffset now, double rate)
        {
            if (now >= HeldUntil)
            {
                return 0;
            }

            // The edge spends its lease first: at its recent rate, what it may have needed beyond that.
            var elapsed = (now - GrantedAt).TotalSeconds;
            var credit = Math.Clamp(Share * (TokensAtGrant + (rate * elapsed)), 0, CreditCap);
            return Math.Min(credit, Math.Max(0, 1 + (RecentRate * elapsed) - Held));
        }
    }
}
