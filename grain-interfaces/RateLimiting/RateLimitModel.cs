using System.Collections.Immutable;

namespace Orleans.Proxy.RateLimiting;

/// <summary>The period a policy's permits are counted over.</summary>
public enum RateLimitPeriod
{
    Second = 0,
    Minute = 1,
}

/// <summary>What splits a policy into independent buckets.</summary>
public enum RateLimitKeyKind
{
    /// <summary>The client's address: the socket peer, or X-Forwarded-For from a trusted proxy.</summary>
    ClientIp = 0,
    /// <summary>The value of one request header (requests without it share one bucket).</summary>
    Header = 1,
    /// <summary>The route: every client of the route shares one bucket.</summary>
    Route = 2,
    /// <summary>The requested host: every route of the Ingress on that host shares one bucket.</summary>
    Host = 3,
}

/// <summary>
/// A rate limit: <see cref="Permits"/> per <see cref="Period"/>, as a token bucket holding at most
/// <see cref="Burst"/> tokens (refilled at Permits / Period), one bucket per partition key, shared by
/// every edge.
/// </summary>
/// <param name="PolicyId">Names the object it came from, e.g. "default/web/rate-limit"; with the partition key it names the bucket grain.</param>
/// <param name="HeaderName">The header for <see cref="RateLimitKeyKind.Header"/>, otherwise null.</param>
/// <param name="Whitelist">Client address ranges (CIDR) that are never limited.</param>
[GenerateSerializer, Immutable, Alias("op.RateLimitSpec")]
public sealed record RateLimitSpec(
    [property: Id(0)] string PolicyId,
    [property: Id(1)] int Permits,
    [property: Id(2)] RateLimitPeriod Period,
    [property: Id(3)] int Burst,
    [property: Id(4)] RateLimitKeyKind Key,
    [property: Id(5)] string? HeaderName,
    [property: Id(6)] ImmutableArray<string> Whitelist)
{
    public TimeSpan PeriodLength => Period == RateLimitPeriod.Minute ? TimeSpan.FromMinutes(1) : TimeSpan.FromSeconds(1);

    /// <summary>Tokens added per second.</summary>
    public double RatePerSecond => Permits / PeriodLength.TotalSeconds;

    /// <summary>The bucket's capacity: at least one token, so a tiny burst still lets requests through.</summary>
    public int Capacity => Math.Max(1, Burst);
}

/// <summary>An edge asking a bucket for tokens.</summary>
/// <param name="RatePerSecond">The edge's policy's rate; a bucket whose key names its settings (every key edges use) keeps its own.</param>
/// <param name="Capacity">The edge's policy's capacity; likewise.</param>
/// <param name="Requested">Tokens the edge expects to use over one lease.</param>
/// <param name="RecentRate">Requests per second this edge has recently seen for the partition (admitted or not).</param>
/// <param name="LeaseLength">How long the edge wants the tokens to stay valid.</param>
/// <param name="Returned">Tokens of an earlier lease that expired unused on the edge; the bucket takes them back.</param>
/// <param name="Owed">Requests the edge admitted without a lease (its local allowance or credit) since its last call; the bucket debits them, below zero if it must.</param>
/// <param name="CreditCap">The most the edge will admit on credit until its next call; the bucket keeps that much of the edge's share for it (see <see cref="LeaseGrant"/>).</param>
/// <param name="OwedFor">How long before the call the first of the <see cref="Owed"/> requests was admitted; the bucket debits them as of then, at most two lease lengths back.</param>
[GenerateSerializer, Immutable, Alias("op.LeaseRequest")]
public sealed record LeaseRequest(
    [property: Id(0)] string EdgeId,
    [property: Id(1)] double RatePerSecond,
    [property: Id(2)] int Capacity,
    [property: Id(3)] int Requested,
    [property: Id(4)] double RecentRate,
    [property: Id(5)] TimeSpan LeaseLength,
    [property: Id(6)] int Returned = 0,
    [property: Id(7)] int Owed = 0,
    [property: Id(8)] int CreditCap = 0,
    [property: Id(9)] TimeSpan OwedFor = default);

/// <summary>
/// Tokens granted to one edge (already debited from the bucket), and the edge's credit: until
/// <see cref="ValidFor"/> has passed, it may admit up to <see cref="Share"/> x (<see cref="TokensLeft"/>
/// + rate x time since the grant), at most its <see cref="LeaseRequest.CreditCap"/>, reporting them
/// with its next call. The bucket keeps that credit for the edge: no grant to another edge takes it.
/// </summary>
/// <param name="ValidFor">Tokens unused after this are dropped by the edge (a duration, so edge and silo clocks need not agree).</param>
/// <param name="RetryAfter">When the edge got less than it asked for: how long until its share has refilled; zero otherwise.</param>
/// <param name="EdgesSharing">Edges that took tokens from this bucket recently, this one included.</param>
/// <param name="TokensLeft">Tokens in the bucket after this grant, less the credit it keeps for other edges (negative while it is owed more than it holds).</param>
/// <param name="Share">This edge's share of the bucket, in (0, 1]: its recent rate over that of every edge sharing it.</param>
[GenerateSerializer, Immutable, Alias("op.RateLimitLease")]
public sealed record LeaseGrant(
    [property: Id(0)] int Granted,
    [property: Id(1)] TimeSpan ValidFor,
    [property: Id(2)] TimeSpan RetryAfter,
    [property: Id(3)] int EdgesSharing,
    [property: Id(4)] double TokensLeft,
    [property: Id(5)] double Share = 1);

/// <summary>One edge as a bucket sees it.</summary>
[GenerateSerializer, Immutable, Alias("op.RateLimitEdgeState")]
public sealed record RateLimitEdgeState(
    [property: Id(0)] string EdgeId,
    [property: Id(1)] int Held,
    [property: Id(2)] DateTimeOffset HeldUntil,
    [property: Id(3)] double RecentRate,
    [property: Id(4)] DateTimeOffset LastSeen,
    [property: Id(5)] long Granted,
    [property: Id(6)] long Returned,
    [property: Id(7)] long Owed = 0);

/// <summary>A bucket's state for diagnostics, including its totals since activation (the bucket's own arithmetic).</summary>
/// <param name="Edges">Per edge: tokens of its last lease (an upper bound on what it still holds) and until when.</param>
/// <param name="TotalOwed">Requests edges admitted without a lease and settled here (debited like grants).</param>
[GenerateSerializer, Immutable, Alias("op.RateLimitState")]
public sealed record RateLimitState(
    [property: Id(0)] string Key,
    [property: Id(1)] bool Active,
    [property: Id(2)] double TokensLeft,
    [property: Id(3)] int Capacity,
    [property: Id(4)] double RatePerSecond,
    [property: Id(5)] DateTimeOffset ActivatedAt,
    [property: Id(6)] long TotalGranted,
    [property: Id(7)] long TotalReturned,
    [property: Id(8)] ImmutableArray<RateLimitEdgeState> Edges,
    [property: Id(9)] long TotalOwed = 0)
{
    /// <summary>The silo the bucket is active on ("host:port"), for operators looking for it (and fault drills aiming at it).</summary>
    [Id(10)]
    public string? Silo { get; init; }
}
