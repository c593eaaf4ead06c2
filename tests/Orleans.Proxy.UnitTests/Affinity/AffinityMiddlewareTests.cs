using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Orleans.Proxy.Affinity;
using Orleans.Proxy.Edge.Affinity;
using Orleans.Proxy.Edge.Hosting;
using Orleans.Proxy.Edge.RateLimiting;

namespace Orleans.Proxy.UnitTests.Affinity;

/// <summary>The affinity key of a request, for client-IP affinity behind and without a trusted proxy.</summary>
public sealed class AffinityMiddlewareTests
{
    private static readonly AffinitySpec ClientIp = new(AffinityMode.ClientIp, string.Empty, AffinitySpec.DefaultTtl);

    private static readonly ClientIpResolver BehindLoadBalancer = new(Options.Create(new RateLimitingOptions { TrustedProxies = ["10.0.0.0/8"] }));

    private static DefaultHttpContext Request(string? peer, string? forwardedFor = null)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = peer is null ? null : IPAddress.Parse(peer);
        if (forwardedFor is not null)
        {
            context.Request.Headers["X-Forwarded-For"] = forwardedFor;
        }

        return context;
    }

    [Fact]
    public void KeyOf_ClientIpBehindTrustedProxy_EachClientItsOwnKey()
    {
        var first = AffinityMiddleware.KeyOf(Request("10.0.0.5", "203.0.113.1"), ClientIp, BehindLoadBalancer);
        var second = AffinityMiddleware.KeyOf(Request("10.0.0.5", "203.0.113.2"), ClientIp, BehindLoadBalancer);

        Assert.Equal("203.0.113.1", first);
        Assert.Equal("203.0.113.2", second);
    }

    [Fact]
    public void KeyOf_ClientIpFromUntrustedPeer_ForwardedForIgnored()
    {
        var key = AffinityMiddleware.KeyOf(Request("198.51.100.7", "203.0.113.1"), ClientIp, BehindLoadBalancer);

        Assert.Equal("198.51.100.7", key);
    }

    [Fact]
    public void KeyOf_ClientIpNoTrustedProxies_SocketAddressAsIPv4()
    {
        var resolver = new ClientIpResolver(Options.Create(new RateLimitingOptions()));

        var key = AffinityMiddleware.KeyOf(Request("::ffff:10.0.0.5", "203.0.113.1"), ClientIp, resolver);

        Assert.Equal("10.0.0.5", key);
    }

    [Fact]
    public void KeyOf_ClientIpWithoutSocketAddress_NoKey()
    {
        Assert.Null(AffinityMiddleware.KeyOf(Request(null, "203.0.113.1"), ClientIp, BehindLoadBalancer));
    }

    [Fact]
    public void KeyOf_HeaderAffinity_HeaderValueWhateverTheProxy()
    {
        var context = Request("10.0.0.5", "203.0.113.1");
        context.Request.Headers["X-User"] = "alice";

        Assert.Equal("alice", AffinityMiddleware.KeyOf(context, new AffinitySpec(AffinityMode.Header, "X-User", AffinitySpec.DefaultTtl), BehindLoadBalancer));
    }
}
