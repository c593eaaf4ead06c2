using Orleans.Proxy.RateLimiting;

namespace Orleans.Proxy.UnitTests.RateLimiting;

/// <summary>A bucket's key names its policy's settings; the grain reads them from there, not from the edges.</summary>
public sealed class RateLimitKeyTests
{
    [Theory]
    [InlineData(50, RateLimitPeriod.Second, 25, "default/web/rate-limit#50/s/25|10.0.0.1", 50.0, 25)]
    [InlineData(60, RateLimitPeriod.Minute, 0, "default/web/rate-limit#60/m/1|10.0.0.1", 1.0, 1)]
    public void Key_PolicySettings_ReadBackFromTheKey(int permits, RateLimitPeriod period, int burst, string expectedKey, double rate, int capacity)
    {
        var spec = new RateLimitSpec("default/web/rate-limit", permits, period, burst, RateLimitKeyKind.ClientIp, null, []);

        var key = IRateLimitGrain.Key(spec, "10.0.0.1");

        Assert.Equal(expectedKey, key);
        Assert.True(IRateLimitGrain.TryReadSettings(key, out var readRate, out var readCapacity));
        Assert.Equal(rate, readRate);
        Assert.Equal(capacity, readCapacity);
        Assert.Equal(spec.RatePerSecond, readRate);
        Assert.Equal(spec.Capacity, readCapacity);
    }

    [Fact]
    public void Key_RoutePartitionWithHashAndBar_SettingsStillReadFromThePolicyPart()
    {
        var spec = new RateLimitSpec("default/web/rate-limit", 100, RateLimitPeriod.Second, 100, RateLimitKeyKind.Route, null, []);

        Assert.True(IRateLimitGrain.TryReadSettings(IRateLimitGrain.Key(spec, "default/web#0.0|x#1/s/9"), out var rate, out var capacity));
        Assert.Equal((100.0, 100), (rate, capacity));
    }

    [Theory]
    [InlineData("default/web/rate-limit|10.0.0.1")]
    [InlineData("default/web/rate-limit#50/h/25|10.0.0.1")]
    [InlineData("default/web/rate-limit#-5/s/25|10.0.0.1")]
    [InlineData("default/web/rate-limit#50/s/0|10.0.0.1")]
    [InlineData("default/web/rate-limit#50/s|10.0.0.1")]
    [InlineData("")]
    public void TryReadSettings_KeyWithoutValidSettings_False(string key) =>
        Assert.False(IRateLimitGrain.TryReadSettings(key, out _, out _));
}
