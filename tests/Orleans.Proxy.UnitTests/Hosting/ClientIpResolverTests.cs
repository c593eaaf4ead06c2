using System.Net;
using Microsoft.Extensions.Primitives;
using Orleans.Proxy.Edge.Hosting;
using Orleans.Proxy.Edge.RateLimiting;

namespace Orleans.Proxy.UnitTests.Hosting;

public sealed class ClientIpResolverTests
{
    private static readonly IPNetwork[] Trusted = [IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("127.0.0.1/32")];

    [Theory]
    [InlineData("203.0.113.9", "1.2.3.4", "203.0.113.9")]                         // untrusted peer: its header is ignored
    [InlineData("10.1.1.1", "1.2.3.4", "1.2.3.4")]                                // trusted proxy: the address it saw
    [InlineData("10.1.1.1", "6.6.6.6, 1.2.3.4", "1.2.3.4")]                       // client-written entries on the left never count
    [InlineData("10.1.1.1", "6.6.6.6, 1.2.3.4, 10.2.2.2", "1.2.3.4")]             // a chain of trusted proxies is walked
    [InlineData("10.1.1.1", "1.2.3.4:5555", "1.2.3.4")]                           // address with a port
    [InlineData("10.1.1.1", "", "10.1.1.1")]                                      // no header: the proxy itself
    [InlineData("10.1.1.1", "garbage", "10.1.1.1")]                               // unreadable: stop at the last readable one
    [InlineData("::ffff:127.0.0.1", "1.2.3.4", "1.2.3.4")]                        // IPv4-mapped peer
    public void Resolve_PeerAndForwardedFor_ClientAddress(string peer, string forwardedFor, string expected)
    {
        var header = forwardedFor.Length == 0 ? StringValues.Empty : new StringValues(forwardedFor);

        Assert.Equal(IPAddress.Parse(expected), ClientIpResolver.Resolve(IPAddress.Parse(peer), header, Trusted));
    }

    [Fact]
    public void Resolve_SeveralHeaderLines_ReadRightToLeftAcrossLines()
    {
        var header = new StringValues(["6.6.6.6", "1.2.3.4, 10.9.9.9"]);

        Assert.Equal(IPAddress.Parse("1.2.3.4"), ClientIpResolver.Resolve(IPAddress.Parse("10.1.1.1"), header, Trusted));
    }
}

public sealed class RateLimitingOptionsTests
{
    [Fact]
    public void Validate_BadTrustedProxy_ErrorNamesTheKey()
    {
        var options = new RateLimitingOptions { TrustedProxies = ["10.0.0.0/8", "proxy.local"] };

        var error = Assert.Single(options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)));

        Assert.StartsWith("RateLimiting:TrustedProxies:1 'proxy.local'", error.ErrorMessage, StringComparison.Ordinal);
    }
}
