using Orleans.Proxy.Edge.HttpRoutes;
using Orleans.Proxy.Edge.Matching;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.UnitTests.HttpRoutes;

/// <summary>HTTPPathModifier, as the Gateway API spec's ReplacePrefixMatch table reads.</summary>
public sealed class PathModifiersTests
{
    [Theory]
    [InlineData("/foo/bar", "/foo", "/xyz", "/xyz/bar")]
    [InlineData("/foo/bar", "/foo", "/xyz/", "/xyz/bar")]
    [InlineData("/foo", "/foo", "/xyz", "/xyz")]
    [InlineData("/foo/", "/foo", "/xyz", "/xyz/")]
    [InlineData("/foo/bar", "/foo", "", "/bar")]
    [InlineData("/foo/bar", "/foo", "/", "/bar")]
    [InlineData("/foo/", "/foo", "", "/")]
    [InlineData("/foo", "/foo", "", "/")]
    [InlineData("/foo/", "/foo", "/", "/")]
    [InlineData("/foo", "/foo", "/", "/")]
    [InlineData("/foo/bar", "/", "/xyz", "/xyz/foo/bar")]
    [InlineData("/foo/bar", "/", "/", "/foo/bar")]
    [InlineData("/", "/", "/xyz", "/xyz/")]
    [InlineData("/foo/bar", "/foo", "xyz", "/xyz/bar")]
    public void ReplacePrefix_SpecTable_PrefixReplacedRestKept(string path, string prefix, string replacement, string expected) =>
        Assert.Equal(expected, PathModifiers.Apply(new PathModifier(PathModifierKind.ReplacePrefixMatch, replacement), path, path, prefix));

    [Fact]
    public void ReplacePrefix_PathParameterInTheMatchedElement_MatchedPathUsed() =>
        Assert.Equal("/xyz/bar", PathModifiers.Apply(new PathModifier(PathModifierKind.ReplacePrefixMatch, "/xyz"), "/foo;v=1/bar", "/foo/bar", "/foo"));

    [Fact]
    public void ReplacePrefix_PathParameterAfterThePrefix_KeptInTheRest() =>
        Assert.Equal("/xyz/bar;v=1", PathModifiers.Apply(new PathModifier(PathModifierKind.ReplacePrefixMatch, "/xyz"), "/foo/bar;v=1", "/foo/bar", "/foo"));

    [Theory]
    [InlineData("/new", "/new")]
    [InlineData("new/path", "/new/path")]
    [InlineData("/with space", "/with%20space")]
    [InlineData("/", "/")]
    public void ReplaceFullPath_AnyRequestPath_TheValueRooted(string value, string expected) =>
        Assert.Equal(expected, PathModifiers.Apply(new PathModifier(PathModifierKind.ReplaceFullPath, value), "/foo/bar", "/foo/bar", "/foo"));

    [Fact]
    public void ForwardedPath_HttpRouteRewrite_ReplacesTheMatchedPrefix()
    {
        var spec = new RouteSpec("r", "gw.test", "/foo/", PathMatchKind.Prefix, [], [], "ns/r:80", "HTTPRoute ns/r")
        {
            HttpRoute = new HttpRouteRule { Rewrite = new RewriteSpec(null, new PathModifier(PathModifierKind.ReplacePrefixMatch, "/")) },
        };
        var route = new CompiledRoute(spec, proxyRouteId: null, new MatchingOptions());

        Assert.Equal("/bar/baz", route.ForwardedPath("/foo/bar/baz", "/foo/bar/baz"));
        Assert.Equal("/", route.ForwardedPath("/foo", "/foo"));
    }
}
