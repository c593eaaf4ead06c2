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
                bucket.Return(edge, back, now);
                granted -= back;
            }

            Assert.True(granted <= 50 + (100 * (now - T0).TotalSeconds) + 1e-6, $"granted {granted} after {(now - T0).TotalSeconds}s");
        }

        Assert.Equal(granted, bucket.TotalGranted - bucket.TotalReturned);
        // Under this demand the bucket is used, not wasted: at least 90% of the refill went out.
        Assert.True(granted >= 0.9 * 100 * (now - T0).TotalSeconds, $"granted {granted} in {(now - T0).TotalSeconds}s");
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
        bucket.Return("a", 1000, T0);

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
    public void QuietAt_NeverUsed_Now()
    {
        var bucket = new LeaseBucket(T0);

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
}
