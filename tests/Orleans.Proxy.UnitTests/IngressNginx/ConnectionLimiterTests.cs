using System.Net;
using Orleans.Proxy.Edge.IngressNginx;

namespace Orleans.Proxy.UnitTests.IngressNginx;

public sealed class ConnectionLimiterTests
{
    private static readonly IPAddress Client = IPAddress.Parse("192.0.2.7");

    [Fact]
    public void TryEnter_AtTheLimit_RefusedUntilOneExits()
    {
        var limiter = new ConnectionLimiter();

        Assert.True(limiter.TryEnter("shop/web", Client, 2));
        Assert.True(limiter.TryEnter("shop/web", Client, 2));
        Assert.False(limiter.TryEnter("shop/web", Client, 2));
        limiter.Exit("shop/web", Client);

        Assert.True(limiter.TryEnter("shop/web", Client, 2));
    }

    [Fact]
    public void TryEnter_OtherClientOrZone_CountedApart()
    {
        var limiter = new ConnectionLimiter();
        Assert.True(limiter.TryEnter("shop/web", Client, 1));

        Assert.True(limiter.TryEnter("shop/web", IPAddress.Parse("192.0.2.8"), 1));
        Assert.True(limiter.TryEnter("shop/api", Client, 1));
        Assert.False(limiter.TryEnter("shop/web", Client, 1));
    }

    [Fact]
    public void Exit_LastRequest_EntryGone()
    {
        var limiter = new ConnectionLimiter();
        limiter.TryEnter("shop/web", Client, 1);

        limiter.Exit("shop/web", Client);

        Assert.Equal(0, limiter.Count);
    }
}
