using Orleans.Proxy.Translation.GatewayApi;

namespace Orleans.Proxy.UnitTests.Translation.GatewayApi;

/// <summary>Listener and route hostnames as the Gateway API intersects them (the HTTPRouteHostnameIntersection cases).</summary>
public sealed class HostnamesTests
{
    [Theory]
    [InlineData("very.specific.com", "non.matching.com,*.nonmatchingwildcard.io,very.specific.com", "very.specific.com")]
    [InlineData("*.wildcard.io", "non.matching.com,wildcard.io,foo.wildcard.io,bar.wildcard.io,foo.bar.wildcard.io", "foo.wildcard.io,bar.wildcard.io,foo.bar.wildcard.io")]
    [InlineData("very.specific.com", "non.matching.com,*.specific.com", "very.specific.com")]
    [InlineData("*.anotherwildcard.io", "*.anotherwildcard.io", "*.anotherwildcard.io")]
    [InlineData("*.wildcard.io", "specific.but.wrong.com,wildcard.io", "")]
    [InlineData("*.example.com", "*.foo.example.com", "*.foo.example.com")]
    [InlineData("*.foo.example.com", "*.example.com", "*.foo.example.com")]
    public void Intersect_ListenerAndRouteHostnames_GiveTheMoreSpecificNamesThatBothCover(string listener, string route, string expected)
    {
        var result = Hostnames.Intersect(listener, route.Split(','));

        Assert.Equal(expected.Length == 0 ? [] : expected.Split(','), result);
    }

    [Fact]
    public void Intersect_NoListenerHostname_ServesTheRoutesAndNoRouteHostnames_ServesTheListeners()
    {
        Assert.Equal(["a.com", "*.b.com"], Hostnames.Intersect(null, ["a.com", "*.b.com"]));
        Assert.Equal(["*.b.com"], Hostnames.Intersect("*.b.com", []));
        Assert.Equal(["*"], Hostnames.Intersect(null, []));
    }

    [Theory]
    [InlineData("Foo.Example.com", "foo.example.com")]
    [InlineData("*.Example.com", "*.example.com")]
    [InlineData("10.0.0.1", null)]
    [InlineData("foo..com", null)]
    [InlineData("*", null)]
    [InlineData("foo.*.com", null)]
    [InlineData("", null)]
    public void Normalize_Hostname_LowerCasedOrRefused(string hostname, string? expected) =>
        Assert.Equal(expected, Hostnames.Normalize(hostname));
}
