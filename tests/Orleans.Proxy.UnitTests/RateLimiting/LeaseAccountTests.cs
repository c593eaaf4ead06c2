using System.Collections.Immutable;
using Orleans.Proxy.Edge.RateLimiting;
using Orleans.Proxy.RateLimiting;

namespace Orleans.Proxy.UnitTests.RateLimiting;

/// <summary>The partition's decisions alone: explicit timestamps (ticks of a 1 MHz clock), no limiter, no calls made.</summary>
public sealed class LeaseAccountTests
{
    private const long Frequency = 1_000_000;

    private static readonly RateLimitSpec Spec = new("test/api/rate-limit", 100, RateLimitPeriod.Second, 20, RateLimitKeyKind.ClientIp, null, ImmutableArray<string>.Empty);

    private static long Ms(double milliseconds) => (long)(milliseconds * Frequency / 1000);

    private static LeaseAccount Leased(int granted, double tokensLeft, double share = 1)
    {
        var account = new LeaseAccount(Spec, TimeSpan.FromSeconds(1), knownEdges: 2, now: 0, Frequency);
        // Ten requests: half the allowance (20 / 2 edges), then the first call.
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(Admission.Local, account.Take(1, Ms(i)));
        }

        var call = account.CallDue(Ms(10));
        Assert.NotNull(call);
        Assert.Equal(10, call.Owed);
        account.Granted(new LeaseGrant(granted, TimeSpan.FromSeconds(2), TimeSpan.Zero, 2, tokensLeft, share), Ms(12));
        return account;
    }

    [Fact]
    public void CallDue_LeaseLowAndCreditShort_AsksBeforeTheLeaseRunsOut()
    {
        // The bucket is empty but for this lease: no credit to fall back on.
        var account = Leased(granted: 10, tokensLeft: 0);
        var now = Ms(40);
        var taken = 0;
        while (account.CallDue(now) is null)
        {
            Assert.Equal(Admission.Lease, account.Take(1, now));
            taken++;
            now += Ms(10);
        }

        // It asked with tokens still held (at 30% of the lease it can get), not once they were gone.
        Assert.InRange(10 - taken, 1, 3);
        Assert.Equal(Admission.Lease, account.Take(1, now));
    }

    [Fact]
    public void Take_LeaseDryBucketHasPlenty_AdmitsOnCreditUpToTheAllowance()
    {
        var account = Leased(granted: 2, tokensLeft: 80, share: 0.5);
        Assert.Equal(Admission.Lease, account.Take(2, Ms(13)));

        // Half of the 80 left is this edge's, capped at its allowance of 10 (20 / 2 edges).
        Assert.Equal(10, account.Credit(Ms(13)));
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(Admission.Local, account.Take(1, Ms(13)));
        }

        Assert.Equal(Admission.Rejected, account.Take(1, Ms(13)));
        Assert.Equal(10, account.Unsettled);
    }

    [Fact]
    public void Take_LeaseDryBucketEmpty_CreditGrowsWithTheShareOfTheRefill()
    {
        var account = Leased(granted: 0, tokensLeft: 0, share: 0.5);

        Assert.Equal(Admission.Rejected, account.Take(1, Ms(13)));
        // 100 tokens a second, half of them this edge's: 5 after 100 ms.
        Assert.Equal(5, account.Credit(Ms(112)));
    }

    [Fact]
    public void Credit_GrantLapsed_WhatTheBucketHeldPlusItsRefillAtMostTheAllowance()
    {
        var account = Leased(granted: 0, tokensLeft: 0, share: 0.1);
        // While the grant holds: a tenth of 100 a second.
        Assert.Equal(4, account.Credit(Ms(500)));

        // A key that went quiet for longer than its grant (2 s from the call): what the bucket held then
        // plus the refill since is there, so the next requests are admitted, up to the allowance (20 / 2 edges).
        Assert.Equal(10, account.Credit(Ms(2010)));
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(Admission.Local, account.Take(1, Ms(2010)));
        }

        Assert.Equal(Admission.Rejected, account.Take(1, Ms(2010)));
    }

    [Fact]
    public void Credit_GrantLapsedWithTheBucketInDebt_OnlyOnceTheRefillHasRepaidIt()
    {
        var account = Leased(granted: 0, tokensLeft: -250, share: 1);

        // 250 owed at 100 a second: nothing until 2.5 s after the grant, then the refill beyond it.
        Assert.Equal(0, account.Credit(Ms(2400)));
        Assert.Equal(Admission.Rejected, account.Take(1, Ms(2400)));
        Assert.Equal(3, account.Credit(Ms(2545)));
    }

    [Fact]
    public void CallDue_GrantLapsed_ReportsWhatItAdmitsAtOnce()
    {
        var account = Leased(granted: 0, tokensLeft: 50);

        // A quiet key (11 requests in 5 s) whose grant lapsed: the bucket keeps nothing for this edge
        // any more, so the request it admits on its own is reported now, not once half its credit is spent.
        Assert.Equal(Admission.Local, account.Take(1, Ms(5000)));
        var call = account.CallDue(Ms(5000));

        Assert.NotNull(call);
        Assert.Equal(1, call.Owed);
    }

    [Fact]
    public void CallDue_NewPartitionThatKeepsComingBack_SettlesBeforeHalfItsAllowance()
    {
        // One edge known: an allowance of the whole burst (20), a call once 10 are spent.
        var account = new LeaseAccount(Spec, TimeSpan.FromSeconds(1), knownEdges: 1, now: 0, Frequency);
        Assert.Equal(Admission.Local, account.Take(1, 0));
        Assert.Null(account.CallDue(0));
        Assert.Equal(Admission.Local, account.Take(1, Ms(1500)));
        Assert.Null(account.CallDue(Ms(1500)));

        // A third request, more than a lease length after the first: the key recurs, so it reports.
        Assert.Equal(Admission.Local, account.Take(1, Ms(1600)));
        var call = account.CallDue(Ms(1600));

        Assert.NotNull(call);
        Assert.Equal(3, call.Owed);
    }

    [Fact]
    public void CallDue_NewPartition_ReportsItsRequestsSinceItAppearedOverAtLeastALease()
    {
        var account = new LeaseAccount(Spec, TimeSpan.FromSeconds(1), knownEdges: 2, now: 0, Frequency);
        // Five requests 60 ms apart: half the allowance (20 / 2 edges).
        LeaseCall? call = null;
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(Admission.Local, account.Take(1, Ms(60 * i)));
            call = account.CallDue(Ms(60 * i));
        }

        // Five requests so far, not one over the last 60 ms (16.7 a second).
        Assert.NotNull(call);
        Assert.Equal(5, call.RecentRate, 6);
    }

    [Fact]
    public void SettlementDue_LeaseExpiredWithTokensLeft_GivesThemBackWhenItExpires()
    {
        var account = Leased(granted: 6, tokensLeft: 10);
        Assert.Equal(Admission.Lease, account.Take(2, Ms(100)));

        // The lease is valid for 2 s from when the grant landed.
        Assert.Equal(Ms(2012), account.SettlementAt);
        Assert.Null(account.SettlementDue(Ms(2000)));
        var settle = account.SettlementDue(Ms(2012));

        Assert.NotNull(settle);
        Assert.Equal(4, settle.Returned);
        Assert.Equal(0, settle.Owed);
        Assert.Equal(0, settle.Requested);
        account.Settled(succeeded: true);

        // Given back once: the next call does not return them again...
        Assert.Equal(Admission.Local, account.Take(1, Ms(2100)));
        // ...and no second settlement within a grant's validity of the first.
        Assert.Null(account.SettlementDue(Ms(3000)));
        Assert.Equal(Ms(4012), account.SettlementAt);
        var call = account.CallDue(Ms(2100));
        Assert.NotNull(call);
        Assert.Equal(0, call.Returned);
        Assert.Equal(1, call.Owed);
    }

    [Fact]
    public void SettlementDue_NothingToGiveBackOrReport_NoCall()
    {
        var account = Leased(granted: 2, tokensLeft: 10);
        Assert.Equal(Admission.Lease, account.Take(2, Ms(100)));

        Assert.Null(account.SettlementDue(Ms(2012)));
    }

    [Fact]
    public void SettlementDue_LeaseCallInFlight_LeftToItsGrant()
    {
        var account = Leased(granted: 6, tokensLeft: 0);
        Assert.Equal(Admission.Lease, account.Take(5, Ms(100)));
        Assert.NotNull(account.CallDue(Ms(100)));

        // The lease expires while the call is out: its grant comes first, the token goes with the next call.
        Assert.Null(account.SettlementDue(Ms(2012)));
        account.Granted(new LeaseGrant(0, TimeSpan.FromSeconds(2), TimeSpan.Zero, 2, 0, 1), Ms(2020));
        Assert.Null(account.SettlementDue(Ms(2020)));
        Assert.Equal(Ms(4020), account.SettlementAt);
        var settle = account.SettlementDue(Ms(4020));
        Assert.NotNull(settle);
        Assert.Equal(1, settle.Returned);
    }

    [Fact]
    public void Settled_Failed_OwedReportedAgainTokensNot()
    {
        var account = Leased(granted: 6, tokensLeft: 40);
        Assert.Equal(Admission.Lease, account.Take(6, Ms(100)));
        Assert.Equal(Admission.Local, account.Take(2, Ms(100)));
        var settle = account.SettlementDue(Ms(2012));
        Assert.NotNull(settle);
        Assert.Equal(2, settle.Owed);
        Assert.Equal(2, account.Unsettled);

        account.Settled(succeeded: false);

        // Counted twice they only limit more.
        Assert.Equal(2, account.Unsettled);
        Assert.Equal(2, account.CallDue(Ms(2012))?.Owed);

        var returning = Leased(granted: 8, tokensLeft: 40);
        Assert.Equal(Admission.Lease, returning.Take(6, Ms(100)));
        Assert.Equal(2, returning.SettlementDue(Ms(2012))?.Returned);
        returning.Settled(succeeded: false);
        // The bucket may have taken them back: sent again they would be counted twice.
        Assert.Equal(Admission.Local, returning.Take(1, Ms(2100)));
        Assert.Equal(0, returning.CallDue(Ms(2100))?.Returned);
    }

    [Fact]
    public void Granted_SettlementLandedWhileTheCallWasOut_ItsOwedCountAsDebited()
    {
        var account = Leased(granted: 6, tokensLeft: 40);
        Assert.Equal(Admission.Lease, account.Take(6, Ms(100)));
        Assert.Equal(Admission.Local, account.Take(3, Ms(100)));
        Assert.Equal(3, account.SettlementDue(Ms(2012))?.Owed);
        Assert.Equal(Admission.Local, account.Take(1, Ms(2020)));
        Assert.NotNull(account.CallDue(Ms(2020)));

        // The settlement lands first, but the grain may have answered the lease call before it debited it.
        account.Settled(succeeded: true);
        Assert.Equal(1, account.Unsettled);
        account.Granted(new LeaseGrant(5, TimeSpan.FromSeconds(2), TimeSpan.Zero, 2, 20, 1), Ms(2030));

        Assert.Equal(17, account.GrainTokensLeft);
        Assert.Equal(0, account.Unsettled);
    }

    [Fact]
    public void Granted_CreditSpentWhileCallInFlight_PaidFromTheNewLease()
    {
        var account = Leased(granted: 0, tokensLeft: 40, share: 1);
        Assert.Equal(Admission.Local, account.Take(5, Ms(40)));
        var call = account.CallDue(Ms(40));
        Assert.NotNull(call);
        Assert.Equal(5, call.Owed);
        Assert.Equal(Admission.Local, account.Take(3, Ms(41)));

        account.Granted(new LeaseGrant(10, TimeSpan.FromSeconds(2), TimeSpan.Zero, 2, 30, 1), Ms(42));

        Assert.Equal(0, account.Unsettled);
        Assert.Equal(7, account.LeaseTokens(Ms(42)));
    }

    [Fact]
    public void Failed_NeverLeased_FallbackHasWhatIsLeftOfTheAllowanceThenItsShareOfTheRate()
    {
        var account = new LeaseAccount(Spec, TimeSpan.FromSeconds(1), knownEdges: 2, now: 0, Frequency);
        Assert.Equal(Admission.Local, account.Take(6, 0));
        Assert.NotNull(account.CallDue(0));

        Assert.True(account.Failed(Ms(5), knownEdges: 2));

        // The allowance (20 / 2 edges) was this edge's share of the burst: 4 of it are left.
        Assert.True(account.Fallback);
        Assert.Equal(6, account.Unsettled);
        Assert.Equal(Admission.Fallback, account.Take(4, Ms(5)));
        Assert.Equal(Admission.Rejected, account.Take(1, Ms(5)));
        // 100 a second over 2 edges: 5 more after 100 ms.
        Assert.Equal(Admission.Fallback, account.Take(5, Ms(105)));
        Assert.Equal(Admission.Rejected, account.Take(1, Ms(105)));
        // No call until the back-off (a lease length) has passed.
        Assert.Null(account.CallDue(Ms(500)));
        Assert.NotNull(account.CallDue(Ms(1010)));
    }
}
