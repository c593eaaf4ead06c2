using Orleans.Proxy.Edge.Cors;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.UnitTests.Cors;

public sealed class CorsRoutesTests
{
    [Theory]
    [InlineData("https://*.example.com", "https://app.example.com", true)]
    [InlineData("https://*.example.com", "https://APP.Example.com", true)]
    [InlineData("https://*.example.com", "https://a.b.example.com", false)]
    [InlineData("https://*.example.com", "https://example.com", false)]
    [InlineData("https://*.example.com", "http://app.example.com", false)]
    [InlineData("https://*.example.com", "https://app.example.com:8443", false)]
    [InlineData("https://*.example.com:8443", "https://app.example.com:8443", true)]
    [InlineData("https://app.example.com", "https://app.example.com", true)]
    [InlineData("https://app.example.com", "https://app.example.com.evil.test", false)]
    public void OriginPatternMatches_AsIngressNginx_OneLabelWildcard(string pattern, string origin, bool expected) =>
        Assert.Equal(expected, CorsRoutes.OriginPattern.Parse(pattern).Matches(origin));

    [Fact]
    public void ToPolicy_AnyOriginWithCredentials_EchoesInsteadOfStar()
    {
        var policy = CorsRoutes.ToPolicy(new CorsSpec(["*"], ["GET"], ["X-A"], [], AllowCredentials: true, TimeSpan.FromSeconds(5)));

        Assert.False(policy.AllowAnyOrigin);
        Assert.True(policy.IsOriginAllowed("https://anywhere.test"));
        Assert.True(policy.SupportsCredentials);
    }

    [Fact]
    public void ToPolicy_AnyOriginWithoutCredentials_Star()
    {
        var policy = CorsRoutes.ToPolicy(new CorsSpec(["*"], ["GET"], ["X-A"], ["X-B"], AllowCredentials: false, TimeSpan.FromSeconds(5)));

        Assert.True(policy.AllowAnyOrigin);
        Assert.Equal(["X-B"], policy.ExposedHeaders);
        Assert.Equal(TimeSpan.FromSeconds(5), policy.PreflightMaxAge);
    }
}
