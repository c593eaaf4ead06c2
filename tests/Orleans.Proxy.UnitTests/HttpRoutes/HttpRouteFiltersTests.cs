using Orleans.Proxy.Edge.HttpRoutes;
using Orleans.Proxy.Edge.Routing;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.UnitTests.HttpRoutes;

/// <summary>The traffic split and how an HTTPRoute route reaches YARP's configuration.</summary>
public sealed class HttpRouteFiltersTests
{
    private static RouteSpec Route(string clusterId, HttpRouteRule rule) =>
        new("ns/web#0.0", "gw.test", "/", PathMatchKind.Prefix, [], [], clusterId, "HTTPRoute ns/web") { HttpRoute = rule };

    private static HttpRouteFilters.Compiled Compiled(RouteSpec route) =>
        HttpRouteFilters.For(YarpConfigBuilder.ToRoute(route))!;

    private static HttpRouteFilters.Compiled Split(params WeightedBackend[] backends) =>
        Compiled(Route("ns/a:80", new HttpRouteRule { Backends = [.. backends] }));

    [Fact]
    public void ClusterFor_Rolls_EachBackendItsWeightsShareOfRolls()
    {
        var split = Split(new WeightedBackend("ns/a:80", 1), new WeightedBackend("ns/b:80", 0), new WeightedBackend("ns/c:80", 3));

        Assert.Equal(4, split.TotalWeight);
        Assert.Equal(["ns/a:80", "ns/c:80", "ns/c:80", "ns/c:80"], Enumerable.Range(0, 4).Select(split.ClusterFor));
    }

    [Fact]
    public void ClusterFor_SeededRandomRolls_DistributionFollowsTheWeights()
    {
        var split = Split(new WeightedBackend("ns/a:80", 80), new WeightedBackend("ns/b:80", 20));
        var random = new Random(7);

        var toA = Enumerable.Range(0, 10_000).Count(_ => split.ClusterFor(random.Next(split.TotalWeight)) == "ns/a:80");

        Assert.InRange(toA, 7_800, 8_200);
    }

    [Fact]
    public void ClusterFor_InvalidBackendsShare_Empty()
    {
        var split = Split(new WeightedBackend("ns/a:80", 1), new WeightedBackend("", 1));

        Assert.Equal("ns/a:80", split.ClusterFor(0));
        Assert.Equal("", split.ClusterFor(1));
    }

    [Fact]
    public void ClusterFor_AllWeightsZero_Empty() =>
        Assert.Equal("", Split(new WeightedBackend("ns/a:80", 0)).ClusterFor(0));

    [Fact]
    public void ToRoute_NoValidBackend_NoBackendClusterAndFilters()
    {
        var config = YarpConfigBuilder.ToRoute(Route("", new HttpRouteRule()));

        Assert.Equal(HttpRouteFilters.NoBackendClusterId, config.ClusterId);
        Assert.Equal("", HttpRouteFilters.For(config)!.ClusterFor(0));
    }

    [Fact]
    public void ToRoute_PlainHttpRouteAndIngressRoute_NoFilters()
    {
        var plain = YarpConfigBuilder.ToRoute(Route("ns/a:80", new HttpRouteRule { Method = "GET", Order = 3 }));
        var ingress = YarpConfigBuilder.ToRoute(Route("ns/a:80", new HttpRouteRule()) with { HttpRoute = null, SslRedirect = true });

        Assert.Null(HttpRouteFilters.For(plain));
        Assert.Null(HttpRouteFilters.For(ingress));
        // The backend is bound per request (BackendStates), so routes to different backends share a YARP route.
        Assert.Null(plain.ClusterId);
    }

    [Fact]
    public void ToRoute_MatchesOfOneRuleDifferingInMethodListenerAndOrder_SameBehaviour()
    {
        var headers = new HeaderModifier([new HeaderValue("X-Set", "1")], [], []);
        var get = Route("ns/a:80", new HttpRouteRule { RequestHeaders = headers, Method = "GET", Order = 1, Listeners = RouteListeners.HttpsOnly });
        var post = Route("ns/a:80", new HttpRouteRule { RequestHeaders = headers, Method = "POST", Order = 2 }) with { RouteId = "ns/web#0.1", Path = "/other" };
        var otherHeader = Route("ns/a:80", new HttpRouteRule { RequestHeaders = headers with { Remove = ["X-Remove"] }, Method = "GET", Order = 1 });

        Assert.True(RouteBehaviourComparer.Instance.Equals(YarpConfigBuilder.ToRoute(get), YarpConfigBuilder.ToRoute(post)));
        Assert.False(RouteBehaviourComparer.Instance.Equals(YarpConfigBuilder.ToRoute(get), YarpConfigBuilder.ToRoute(otherHeader)));
    }

    [Fact]
    public void For_MetadataRoundTrip_EveryFilterKept()
    {
        var rule = new HttpRouteRule
        {
            RequestHeaders = new HeaderModifier([new HeaderValue("X-Set", "1")], [new HeaderValue("X-Add", "2")], ["X-Remove"]),
            Redirect = new RedirectSpec("https", "h.test", 8443, new PathModifier(PathModifierKind.ReplacePrefixMatch, "/p"), 301),
            Rewrite = new RewriteSpec("backend.test", null),
            Mirrors = [new MirrorSpec("ns/m:80", 50)],
            Backends = [new WeightedBackend("ns/a:80", 2)],
        };

        var filters = Compiled(Route("ns/a:80", rule));

        Assert.Equal(rule.Redirect, filters.Rule.Redirect);
        Assert.Equal(rule.Rewrite, filters.Rule.Rewrite);
        Assert.Equal(["X-Remove"], filters.Rule.RequestHeaders!.Remove.ToArray());
        Assert.Equal(rule.RequestHeaders.Set.ToArray(), filters.Rule.RequestHeaders.Set.ToArray());
        Assert.Equal(rule.Mirrors.ToArray(), filters.Mirrors.ToArray());
        Assert.Equal(rule.Backends.ToArray(), filters.Backends.ToArray());
    }
}
