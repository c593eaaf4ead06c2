using System.Collections.Immutable;

namespace Orleans.Proxy.RateLimiting;

/// <summary>
/// The arithmetic of one shared token bucket, apart from the grain so it can be tested with an
/// explicit clock. Tokens leave only through grants, so whatever the edges do with them,
/// granted - returned &lt;= capacity + rate * elapsed: the bound the whole feature rests on.
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
    private double _tokens = double.NaN;
    private double _rate;
    private int _capacity;
    private DateTimeOffset _refilledAt;

    public long TotalGranted { get; private set; }

    public long TotalReturned { get; private set; }

    public LeaseGrant Grant(LeaseRequest request, DateTimeOffset now)
    {
        if (double.IsNaN(_tokens))
        {
            _refilledAt = now;
        }

        Refill(now);
        // The first call sets the parameters and fills the bucket; later calls apply a changed policy.
        _rate = request.RatePerSecond;
        _capacity = Math.Max(1, request.Capacity);
        if (double.IsNaN(_tokens))
        {
            _tokens = _capacity;
        }

        _tokens = Math.Min(_tokens, _capacity);
        if (!_edges.TryGetValue(request.EdgeId, out var edge))
        {
            _edges[request.EdgeId] = edge = new Edge();
        }

        Return(request.EdgeId, request.Returned, now);

        edge.RecentRate = Math.Max(0, request.RecentRate);
        edge.LastSeen = now;
        var active = Active(now);
        var totalWeight = active.Sum(e => Math.Max(MinWeight, e.RecentRate));
        var share = Math.Max(MinWeight, edge.RecentRate) / totalWeight;

        // One edge takes at most its share of the capacity at a time, so a busy edge cannot starve the others.
        var wanted = Math.Min(Math.Max(1, request.Requested), Math.Max(1, (int)(_capacity * share)));
        var granted = (int)Math.Min(wanted, Math.Floor(_tokens));
        _tokens -= granted;
        TotalGranted += granted;
        edge.Granted += granted;
        var validFor = request.LeaseLength * 2;
        edge.Held = now < edge.HeldUntil ? edge.Held + granted : granted;
        edge.HeldUntil = now + validFor;

        var retryAfter = TimeSpan.Zero;
        if (granted < request.Requested)
        {
            // Short of what it asked for: come back when this edge's share of the refill makes
            // another batch, but before the bucket overflows (refill past capacity is lost), so
            // the limit is used rather than wasted and the edge does not call for scraps.
            var ownShare = _rate > 0 ? wanted / (_rate * share) : request.LeaseLength.TotalSeconds;
            // Half the time to full leaves room for a slow call on a loaded edge.
            var untilFull = _rate > 0 ? 0.5 * (_capacity - _tokens) / _rate : ownShare;
            retryAfter = Clamp(TimeSpan.FromSeconds(Math.Min(ownShare, untilFull)), MinRetry, request.LeaseLength);
        }

        return new LeaseGrant(granted, validFor, retryAfter, active.Count, _tokens);
    }

    public void Return(string edgeId, int tokens, DateTimeOffset now)
    {
        if (tokens <= 0 || double.IsNaN(_tokens))
        {
            return;
        }

        Refill(now);
        _tokens = Math.Min(_capacity, _tokens + tokens);
        TotalReturned += tokens;
        if (_edges.TryGetValue(edgeId, out var edge))
        {
            edge.Returned += tokens;
            edge.Held = Math.Max(0, edge.Held - tokens);
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
                e.Key, now < e.Value.HeldUntil ? e.Value.Held : 0, e.Value.HeldUntil, e.Value.RecentRate, e.Value.LastSeen, e.Value.Granted, e.Value.Returned))]);
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
            _tokens = Math.Min(_capacity, _tokens + ((now - _refilledAt).TotalSeconds * _rate));
        }

        if (now > _refilledAt)
        {
            _refilledAt = now;
        }
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
    }
}
