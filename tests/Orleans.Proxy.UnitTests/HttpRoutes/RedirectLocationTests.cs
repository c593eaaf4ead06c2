using Microsoft.AspNetCore.Http;
using Orleans.Proxy.Edge.HttpRoutes;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.UnitTests.HttpRoutes;

/// <summary>HTTPRequestRedirectFilter's Location: each part from the filter or the request, the port as the spec's port field says.</summary>
public sealed class RedirectLocationTests
{
    private static string Location(RedirectSpec redirect, string scheme, string host, string query = "", string path = "/a/b")
    {
        var context = new DefaultHttpContext();
        context.Request.Scheme = scheme;
        context.Request.Host = new HostString(host);
        context.Request.QueryString = new QueryString(query);
        return RedirectLocation.Build(redirect, context.Request, path);
    }

    private static RedirectSpec Redirect(string? scheme = null, string? hostname = null, int? port = null) => new(scheme, hostname, port, null, 302);

    [Theory]
    [InlineData("http", "web.test", "http://web.test/a/b")]
    [InlineData("http", "web.test:80", "http://web.test/a/b")]
    [InlineData("http", "web.test:8080", "http://web.test:8080/a/b")]
    [InlineData("https", "web.test:443", "https://web.test/a/b")]
    [InlineData("https", "web.test:8443", "https://web.test:8443/a/b")]
    public void Build_NothingSet_TheRequestsSchemeHostAndPortUnlessWellKnown(string scheme, string host, string expected) =>
        Assert.Equal(expected, Location(Redirect(), scheme, host));

    [Theory]
    [InlineData("http", "web.test:8080", "https://web.test/a/b")]
    [InlineData("http", "web.test", "https://web.test/a/b")]
    [InlineData("https", "web.test:8443", "https://web.test/a/b")]
    public void Build_SchemeHttps_ItsWellKnownPortLeftOut(string requestScheme, string host, string expected) =>
        Assert.Equal(expected, Location(Redirect(scheme: "https"), requestScheme, host));

    [Fact]
    public void Build_SchemeHttpFromHttps_Port80LeftOut() =>
        Assert.Equal("http://web.test/a/b", Location(Redirect(scheme: "http"), "https", "web.test:8443"));

    [Theory]
    [InlineData(null, 8080, "http://web.test:8080/a/b")]
    [InlineData("https", 8443, "https://web.test:8443/a/b")]
    [InlineData("https", 443, "https://web.test/a/b")]
    [InlineData("http", 80, "http://web.test/a/b")]
    [InlineData("http", 443, "http://web.test:443/a/b")]
    public void Build_PortSet_ThatPortUnlessTheSchemesWellKnownOne(string? scheme, int port, string expected) =>
        Assert.Equal(expected, Location(Redirect(scheme, port: port), "http", "web.test:9000"));

    [Fact]
    public void Build_HostnameSet_ItReplacesTheHostTheRequestsPortKept() =>
        Assert.Equal("http://other.test:8080/a/b", Location(Redirect(hostname: "other.test"), "http", "web.test:8080"));

    [Fact]
    public void Build_QueryString_Kept() =>
        Assert.Equal("https://web.test/a/b?x=1&y=%20", Location(Redirect(scheme: "https"), "http", "web.test", "?x=1&y=%20"));

    [Fact]
    public void Build_Ipv6Host_Bracketed() =>
        Assert.Equal("https://[::1]/a/b", Location(Redirect(scheme: "https"), "http", "[::1]:8080"));

    [Theory]
    [InlineData(301, 301)]
    [InlineData(302, 302)]
    [InlineData(0, 302)]
    [InlineData(200, 302)]
    public void StatusCode_AsConfiguredOr302(int configured, int expected) =>
        Assert.Equal(expected, RedirectLocation.StatusCode(new RedirectSpec(null, null, null, null, configured)));
}
