using Orleans.Proxy.RateLimiting;

namespace Orleans.Proxy.UnitTests.RateLimiting;

/// <summary>The shared bucket's arithmetic, on an explicit clock.</summary>
public sealed class LeaseBucketTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static LeaseRequest Ask(string edge, int requested, double recentRate, double rate = 100, int capacity = 50) =>
        new(edge, rate, capacity, requested, recentRate, TimeSpan.FromSeconds(1));

    [Fact]
    public void Grant_ManyEdgesOverTime_NeverMoreThanCapacityPlusRefill()
    {
        var bucket = new LeaseBucket(T0);
        var random = new Random(7);
        var now = T0;
        long granted = 0;
        for (var i = 0; i < 5000; i++)
        {
            now += TimeSpan.FromMilliseconds(random.Next(0, 15));
            var edge = $"edge-{random.Next(8)}";
            var grant = bucket.Grant(Ask(edge, random.Next(1, 200), random.Next(0, 500)), now);
            granted += grant.Granted;
            if (random.Next(10) == 0)
            {
                var back = random.Next(0, grant.Granted + 1);
                bucket.Settle(Ask(edge, 0, 0) with { Returned = back }, now);
                granted -= back;
            }

            Assert.True(granted <= 50 + (100 * (now - T0).TotalSeconds) + 1e-6, $"granted {granted} after {(now - T0).TotalSeconds}s");
        }

        Assert.Equal(granted, bucket.TotalGranted - bucket.TotalReturned);
        // Under this demand the bucket is used, not wasted: at least 90% of the refill went out.
        Assert.True(granted >= 0.9 * 100 * (now - T0).TotalSeconds, $"granted {granted} in {(now - T0).TotalSeconds}s");
    }

    /// <summary>
    /// Requests an edge admitted on its allowance before the bucket existed are debited as of the first
    /// of them: the refill since is not lost to a bucket that read full (rate 100, capacity 50: 30 owed
    /// since 0.2 s, which refilled 20). At most two lease lengths back, and never before the bucket's last change.
    /// </summary>
    [Fact]
    public void Grant_OwedRequestsAdmittedBeforeTheCall_DebitedAsOfTheFirstOfThem()
    {
        var now = T0 + TimeSpan.FromSeconds(10);
        var late = new LeaseBucket(T0);
        late.Grant(Ask("a", 0, 0) with { Owed = 30, OwedFor = TimeSpan.FromSeconds(0.2) }, now);
        Assert.Equal(40, late.TokensLeft(now), 6);

        var old = new LeaseBucket(T0);
        old.Grant(Ask("a", 0, 0, rate: 10) with { Owed = 50, OwedFor = TimeSpan.FromSeconds(30) }, now);
        Assert.Equal(50 - 50 + (10 * 2), old.TokensLeft(now), 6);

        var changed = new LeaseBucket(T0);
        changed.Grant(Ask("a", 10, 10), now - TimeSpan.FromSeconds(0.1));
        changed.Settle(Ask("b", 0, 0) with { Owed = 45, OwedFor = TimeSpan.FromSeconds(0.5) }, now);
        Assert.Equal(50 - 10 - 45 + 10, changed.TokensLeft(now), 6);
    }

    /// <summary>
    /// A debit that reaches the bucket after another edge's call made the bucket change (rate 10, capacity
    /// 10): edge b's 10 requests since 0.5 s, reported at 1 s, just after edge a's call found the bucket
    /// full. Debited at 0.5 s the bucket would have refilled 5 since; the refill it threw away while it read
    /// full comes back, once: a second late debit over the same time gets nothing more.
    /// </summary>
    [Fact]
    public void Settle_DebitLaterThanTheBucketsLastChange_RefillThrownAwayMeanwhileComesBackOnce()
    {
        var bucket = new LeaseBucket(T0);
        bucket.Grant(Ask("a", 0, 0, rate: 10, capacity: 10), T0);
        var now = T0 + TimeSpan.FromSeconds(1);
        bucket.Grant(Ask("a", 0, 0, rate: 10, capacity: 10), now);

        bucket.Settle(Ask("b", 0, 0, rate: 10, capacity: 10) with { Owed = 10, OwedFor = TimeSpan.FromSeconds(0.5) }, now);
        Assert.Equal(5, bucket.TokensLeft(now), 6);

        bucket.Settle(Ask("c", 0, 0, rate: 10, capacity: 10) with { Owed = 10, OwedFor = TimeSpan.FromSeconds(0.5) }, now);
        Assert.Equal(-5, bucket.TokensLeft(now), 6);
    }

    /// <summary>
    /// A debit that began after the bucket last sat full recovers nothing, and leaves that span for an
    /// earlier one: edge b's requests since 1.8 s (the bucket full from 0 to 1 s, then drawn down by a
    /// grant), then edge c's since 0.5 s, which gets the 5 tokens thrown away from 0.5 to 1 s.
    /// </summary>
    [Fact]
    public void Settle_DebitsBeginningBeforeAndAfterAFullSpan_OnlyTheOneBeforeRecovers()
    {
        var bucket = new LeaseBucket(T0);
        bucket.Grant(Ask("a", 0, 0, rate: 10, capacity: 10), T0);
        bucket.Grant(Ask("a", 10, 10, rate: 10, capacity: 10), T0 + TimeSpan.FromSeconds(1));
        var now = T0 + TimeSpan.FromSeconds(2);
        bucket.Grant(Ask("a", 0, 10, rate: 10, capacity: 10), now);
        var before = bucket.TokensLeft(now);

        bucket.Settle(Ask("b", 0, 0, rate: 10, capacity: 10) with { Owed = 2, OwedFor = TimeSpan.FromSeconds(0.2) }, now);
        Assert.Equal(before - 2, bucket.TokensLeft(now), 6);

        bucket.Settle(Ask("c", 0, 0, rate: 10, capacity: 10) with { Owed = 8, OwedFor = TimeSpan.FromSeconds(1.5) }, now);
        Assert.Equal(before - 2 - 8 + 5, bucket.TokensLeft(now), 6);
    }

    /// <summary>A debit reaches back at most two lease lengths: refill thrown away before that is gone for good.</summary>
    [Fact]
    public void Settle_DebitOlderThanTwoLeaseLengths_RecoversOnlyTheirRefill()
    {
        var bucket = new LeaseBucket(T0);
        bucket.Grant(Ask("a", 0, 0, rate: 10, capacity: 10), T0);
        var now = T0 + TimeSpan.FromSeconds(5);
        bucket.Grant(Ask("a", 0, 0, rate: 10, capacity: 10), now);

        bucket.Settle(Ask("b", 0, 0, rate: 10, capacity: 10) with { Owed = 30, OwedFor = TimeSpan.FromSeconds(4) }, now);

        // Two lease lengths (2 s) of refill back at most: 10 - 30 + 20.
        Assert.Equal(0, bucket.TokensLeft(now), 6);
    }

    [Fact]
    public void Grant_TwoEdges_BusyEdgeCappedAtItsShareOfCapacity()
    {
        var bucket = new LeaseBucket(T0);
        bucket.Grant(Ask("quiet", 1, 10), T0);

        var busy = bucket.Grant(Ask("busy", 1000, 90), T0);

        Assert.Equal(45, busy.Granted);
        Assert.Equal(2, busy.EdgesSharing);
        Assert.True(busy.RetryAfter > TimeSpan.Zero);
    }

    [Fact]
    public void Grant_EmptyBucket_GrantsNothingAndSaysWhenToComeBack()
    {
        var bucket = new LeaseBucket(T0);
        Assert.Equal(50, bucket.Grant(Ask("a", 50, 100), T0).Granted);

        var empty = bucket.Grant(Ask("a", 50, 100), T0);

        Assert.Equal(0, empty.Granted);
        Assert.InRange(empty.RetryAfter, TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(1));
        Assert.Equal(10, bucket.Grant(Ask("a", 50, 100), T0.AddMilliseconds(100)).Granted);
    }

    [Fact]
    public void Return_UnusedTokens_GrantableAgainButNotAboveCapacity()
    {
        var bucket = new LeaseBucket(T0);
        bucket.Grant(Ask("a", 30, 100), T0);
        bucket.Settle(Ask("a", 0, 0) with { Returned = 1000 }, T0);

        Assert.Equal(50, bucket.State("k", T0).TokensLeft);
        Assert.Equal(0, bucket.State("k", T0).Edges.Single().Held);
    }

    [Fact]
    public void Grant_EdgeSilentPastWindow_NoLongerShares()
    {
        var bucket = new LeaseBucket(T0);
        bucket.Grant(Ask("old", 1, 10), T0);

        var grant = bucket.Grant(Ask("new", 1, 10), T0 + LeaseBucket.ActiveWindow + TimeSpan.FromSeconds(1));

        Assert.Equal(1, grant.EdgesSharing);
    }

    [Fact]
    public void Grant_EdgeSilentPastItsGrant_ItsRateNoLongerShrinksTheOthersShares()
    {
        var bucket = new LeaseBucket(T0);
        // Edge a measured a clump as 390 requests a second, and went quiet.
        bucket.Grant(Ask("a", 1, 390), T0);

        // While its grant holds (2 s), the rate it reported counts...
        Assert.Equal(10 / 400.0, bucket.Grant(Ask("b", 1, 10), T0.AddSeconds(1)).Share, 6);
        // ...after, it is a quiet edge: had it been taking tokens at that rate, it would have called again.
        Assert.Equal(10 / 10.5, bucket.Grant(Ask("b", 1, 10), T0.AddSeconds(3)).Share, 6);
    }

    [Fact]
    public void Grant_QuietEdgeBesideABusyOne_LeasesUpToCapacityOverEdges()
    {
        var bucket = new LeaseBucket(T0);
        bucket.Grant(Ask("busy", 1, 400), T0);

        // Its share by rate is 1/200 of the bucket, a quarter of a token; it asks for 20 of the 49 left.
        var quiet = bucket.Grant(Ask("quiet", 20, 2), T0);

        Assert.Equal(20, quiet.Granted);
    }

    [Fact]
    public void Grant_OwedMoreThanLeft_DebitsBelowZeroAndGrantsNothingUntilRepaid()
    {
        var bucket = new LeaseBucket(T0);
        Assert.Equal(40, bucket.Grant(Ask("a", 40, 100), T0).Granted);

        // Edge b admitted 30 requests on its allowance before it first called: they count.
        var owing = bucket.Grant(Ask("b", 10, 100) with { Owed = 30 }, T0);

        Assert.Equal(0, owing.Granted);
        Assert.Equal(-20, owing.TokensLeft);
        Assert.Equal(30, bucket.TotalOwed);
        // 100 tokens a second: the debt is repaid after 200 ms, and only then is anything granted.
        Assert.Equal(0, bucket.Grant(Ask("b", 10, 100), T0.AddMilliseconds(150)).Granted);
        Assert.True(bucket.Grant(Ask("b", 10, 100), T0.AddMilliseconds(300)).Granted > 0);
    }

    [Fact]
    public void Settle_FreshBucket_DebitsItsFullCapacity()
    {
        var bucket = new LeaseBucket(T0);

        bucket.Settle(Ask("a", 0, 0) with { Owed = 5, Returned = 7 }, T0);

        var state = bucket.State("k", T0);
        Assert.True(state.Active);
        Assert.Equal(45, state.TokensLeft);
        Assert.Equal(5, state.TotalOwed);
        // Returned tokens were never granted by this bucket: they are not taken back.
        Assert.Equal(0, state.TotalReturned);
    }

    [Fact]
    public void Settle_TokensThisBucketNeverGranted_NotTakenBack()
    {
        // The bucket came back new on another silo; edge b's call activated it and took 40.
        var bucket = new LeaseBucket(T0);
        Assert.Equal(40, bucket.Grant(Ask("b", 40, 100), T0).Granted);

        // Edge a's lease came from the bucket that was lost: its expired tokens are not this one's to take back.
        bucket.Settle(Ask("a", 0, 0) with { Returned = 20 }, T0);
        Assert.Equal(10, bucket.TokensLeft(T0), 6);

        // Edge b gives back at most the 40 it was granted here, however it reports them.
        bucket.Settle(Ask("b", 0, 0) with { Returned = 30 }, T0);
        Assert.Equal(40, bucket.TokensLeft(T0), 6);
        bucket.Settle(Ask("b", 0, 0) with { Returned = 30 }, T0);
        bucket.Settle(Ask("b", 0, 0) with { Returned = 5 }, T0);
        Assert.Equal(40, bucket.TotalReturned);
        Assert.Equal(50, bucket.TokensLeft(T0), 6);
    }

    [Fact]
    public void Settle_NothingOwedToFreshBucket_LeavesItInactive()
    {
        var bucket = new LeaseBucket(T0);

        bucket.Settle(Ask("a", 0, 0) with { Returned = 3 }, T0);

        Assert.False(bucket.State("k", T0).Active);
        Assert.Equal(T0, bucket.QuietAt(T0));
    }

    [Fact]
    public void QuietAt_AfterGrant_WhenRefilledLeasesExpiredAndEdgesSilent()
    {
        var bucket = new LeaseBucket(T0);
        bucket.Grant(Ask("a", 50, 100), T0);

        // Refilled after 0.5 s, the lease valid for 2 s, the edge counted as sharing for 5 s: the latest wins.
        Assert.Equal(T0 + LeaseBucket.ActiveWindow, bucket.QuietAt(T0));
        Assert.Equal(T0 + LeaseBucket.ActiveWindow, bucket.QuietAt(T0.AddSeconds(1)));
    }

    [Fact]
    public void Grant_NothingRequested_GrantsNothing()
    {
        var bucket = new LeaseBucket(T0);

        var grant = bucket.Grant(Ask("a", 0, 0) with { Owed = 4 }, T0);

        Assert.Equal(0, grant.Granted);
        Assert.Equal(46, grant.TokensLeft);
        Assert.Equal(TimeSpan.Zero, grant.RetryAfter);
    }

    [Fact]
    public void Grant_ManyEdgesOwingAndReturning_DebitedNeverExceedsCapacityPlusRefillPlusDebt()
    {
        var bucket = new LeaseBucket(T0);
        var random = new Random(11);
        var now = T0;
        for (var i = 0; i < 5000; i++)
        {
            now += TimeSpan.FromMilliseconds(random.Next(0, 15));
            var grant = bucket.Grant(Ask($"edge-{random.Next(8)}", random.Next(0, 200), random.Next(0, 500)) with { Owed = random.Next(0, 3) == 0 ? random.Next(0, 20) : 0 }, now);
            Assert.InRange(grant.Share, 0, 1);
            Assert.True(grant.Granted >= 0);

            // Debts may take the bucket below zero; grants never do, so what left it is bounded by
            // capacity + refill + what is still owed (the negative balance).
            var debited = bucket.TotalGranted - bucket.TotalReturned + bucket.TotalOwed;
            var left = bucket.TokensLeft(now);
            Assert.True(debited <= 50 + (100 * (now - T0).TotalSeconds) + Math.Max(0, -left) + 1e-6, $"debited {debited}, left {left}");
        }
    }

    [Fact]
    public void Grant_BusyEdgeSpendingCredit_OtherEdgeGetsOnlyWhatIsNotKeptForIt()
    {
        var bucket = new LeaseBucket(T0);
        // Edge a is busy (400 requests a second), leases 5 and may spend up to 40 on credit until its next call.
        bucket.Grant(Ask("a", 5, 400) with { CreditCap = 40 }, T0);

        // 100 ms later the bucket is full again (50), and a may have spent 1 + 400 x 0.1 - 5 = 36
        // on credit: that is kept for it, b gets the other 14 (of the 25 its share allows).
        var b = bucket.Grant(Ask("b", 50, 400), T0.AddMilliseconds(100));

        Assert.Equal(14, b.Granted);
        Assert.Equal(0, b.TokensLeft);
    }

    [Fact]
    public void Grant_QuietEdgeHoldingCredit_DoesNotHoldBackTokensFromABusyOne()
    {
        var bucket = new LeaseBucket(T0);
        // Edge a sent a couple of requests and went quiet; its credit could be the whole burst.
        bucket.Grant(Ask("a", 2, 1) with { CreditCap = 50 }, T0);

        var b = bucket.Grant(Ask("b", 30, 300), T0.AddMilliseconds(100));

        Assert.Equal(30, b.Granted);
    }

    [Fact]
    public void Grant_CreditSpentWhileCallInFlight_CoveredByTheNewGrant()
    {
        var bucket = new LeaseBucket(T0);
        bucket.Grant(Ask("a", 10, 400) with { CreditCap = 30 }, T0);
        bucket.Grant(Ask("b", 50, 400), T0);

        // a reports 5 spent on credit; it may go on spending what is left of its credit until this
        // answer reaches it, so the grant covers that even though a asked for one token.
        var grant = bucket.Grant(Ask("a", 1, 400) with { Owed = 5, CreditCap = 30 }, T0.AddMilliseconds(200));

        Assert.True(grant.Granted > 1, $"granted {grant.Granted}");
    }
}
