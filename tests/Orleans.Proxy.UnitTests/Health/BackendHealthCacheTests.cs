using Microsoft.Extensions.Time.Testing;
using Orleans.Proxy.Edge.Health;
using Orleans.Proxy.Health;
using Orleans.Proxy.UnitTests.Routing;

namespace Orleans.Proxy.UnitTests.Health;

/// <summary>The edge's verdict cache: which verdict wins and when it was received, on a fake clock.</summary>
public sealed class BackendHealthCacheTests
{
    private const string ClusterId = "ns/web:80";

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private BackendHealthCache Cache() => new(RouteTableCacheTests.NewBackendStates(), _time);

    private static BackendHealth Verdict(long version, params string[] unavailable) => new(ClusterId, version, ["d1", "d2"], [.. unavailable]);

    [Fact]
    public void Apply_NewerPushedVerdict_ReplacesHeldOneAndStampsClock()
    {
        var cache = Cache();
        cache.Apply(Verdict(1), current: false);
        _time.Advance(TimeSpan.FromSeconds(3));

        cache.Apply(Verdict(2, "d1"), current: false);

        Assert.True(cache.TryGet(ClusterId, out var verdict, out var receivedAt));
        Assert.Equal(2, verdict.Version);
        Assert.Equal(_time.GetUtcNow(), receivedAt);
        Assert.Equal<string>(["d1"], cache.UnavailableFor(ClusterId)!.Value);
    }

    [Fact]
    public void Apply_OlderPushedVerdict_Ignored()
    {
        var cache = Cache();
        cache.Apply(Verdict(5, "d1"), current: false);
        var heldAt = _time.GetUtcNow();
        _time.Advance(TimeSpan.FromSeconds(1));

        cache.Apply(Verdict(4), current: false);

        Assert.True(cache.TryGet(ClusterId, out var verdict, out var receivedAt));
        Assert.Equal(5, verdict.Version);
        Assert.Equal(heldAt, receivedAt);
    }

    [Fact]
    public void Apply_PolledVerdictOlderThanHeld_AppliedAsTheGrainsCurrentOne()
    {
        var cache = Cache();
        cache.Apply(Verdict(5, "d1"), current: false);

        // A re-activated grain may start below what an edge holds; its current verdict is the truth.
        cache.Apply(Verdict(3), current: true);

        Assert.Equal<string>([], cache.UnavailableFor(ClusterId)!.Value);
    }

    [Fact]
    public void UnavailableFor_GrainsUnreachable_NoVerdictApplied()
    {
        var cache = Cache();
        cache.Apply(Verdict(1, "d1"), current: false);

        cache.SetConnected(false);
        Assert.Null(cache.UnavailableFor(ClusterId));

        cache.SetConnected(true);
        Assert.NotNull(cache.UnavailableFor(ClusterId));
    }
}
