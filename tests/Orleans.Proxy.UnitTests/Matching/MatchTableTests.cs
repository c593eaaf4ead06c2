using System.Collections.Immutable;
using Microsoft.AspNetCore.Http;
using Orleans.Proxy.Edge.Matching;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.UnitTests.Matching;

/// <summary>The Ingress spec's matching rules (and the SIG-Network conformance scenarios), on the matcher alone.</summary>
public sealed class MatchTableTests
{
    private static RouteSpec Route(string id, string host, string path, PathMatchKind kind = PathMatchKind.Prefix) =>
        new(id, host, path, kind, [], [], $"ns/{id}:80", $"Ingress ns/{id}");

    private static MatchTable Table(params RouteSpec[] routes)
    {
        var hosts = Hosts(routes);
        return MatchTable.Empty(new MatchingOptions()).With(hosts, hosts.Keys, OwnProxyRoutes(hosts));
    }

    /// <summary>Each route its own YARP route, named by the route's id.</summary>
    internal static Func<string, IReadOnlyList<string?>> OwnProxyRoutes(IReadOnlyDictionary<string, HostRoutes> hosts) =>
        key => [.. hosts[key].Routes.Select(r => r.RouteId)];

    private static Dictionary<string, HostRoutes> Hosts(IEnumerable<RouteSpec> routes) =>
        routes.GroupBy(r => r.Host).ToDictionary(g => g.Key, g => new HostRoutes(g.Key, 1, [.. g]), StringComparer.Ordinal);

    private static string? Match(MatchTable table, string host, string path, Action<HttpRequest>? request = null, Func<CompiledRoute, bool>? isServed = null)
    {
        var context = new DefaultHttpContext();
        request?.Invoke(context.Request);
        var normalized = PathNormalizer.Normalize(path, table.Options);
        return table.Match(host, normalized.MatchPath, context.Request, isServed)?.RouteId;
    }

    [Fact]
    public void Match_Path_IsCaseSensitive()
    {
        var table = Table(Route("prefix", "a.test", "/foo"), Route("exact", "b.test", "/foo", PathMatchKind.Exact));

        Assert.Null(Match(table, "a.test", "/FOO"));
        Assert.Null(Match(table, "b.test", "/FOO"));
        Assert.Equal("prefix", Match(table, "a.test", "/foo"));
    }

    [Fact]
    public void Match_ExactPath_IsTheWholePathOnly()
    {
        var table = Table(Route("foo", "exact.test", "/foo", PathMatchKind.Exact), Route("foo-slash", "slash.test", "/foo/", PathMatchKind.Exact));

        Assert.Equal("foo", Match(table, "exact.test", "/foo"));
        Assert.Null(Match(table, "exact.test", "/foo/"));
        Assert.Null(Match(table, "exact.test", "/foo/bar"));
        Assert.Null(Match(table, "exact.test", "/bar"));
        Assert.Equal("foo-slash", Match(table, "slash.test", "/foo/"));
        Assert.Null(Match(table, "slash.test", "/foo"));
    }

    [Fact]
    public void Match_PrefixPath_MatchesWholeElementsOnly()
    {
        var table = Table(Route("foo", "prefix.test", "/foo"));

        Assert.Equal("foo", Match(table, "prefix.test", "/foo"));
        Assert.Equal("foo", Match(table, "prefix.test", "/foo/"));
        Assert.Equal("foo", Match(table, "prefix.test", "/foo/bar"));
        Assert.Null(Match(table, "prefix.test", "/foobar"));
        Assert.Null(Match(table, "prefix.test", "/"));
    }

    [Fact]
    public void Match_PrefixRuleWithTrailingSlash_TrailingSlashIgnored()
    {
        var table = Table(Route("bbb", "trailing.test", "/aaa/bbb/"));

        Assert.Equal("bbb", Match(table, "trailing.test", "/aaa/bbb"));
        Assert.Equal("bbb", Match(table, "trailing.test", "/aaa/bbb/"));
        Assert.Equal("bbb", Match(table, "trailing.test", "/aaa/bbb/ccc"));
        Assert.Null(Match(table, "trailing.test", "/aaa/bbbccc"));
    }

    [Fact]
    public void Match_SeveralPrefixes_LongestWins()
    {
        var table = Table(Route("root", "p.test", "/"), Route("aaa", "p.test", "/aaa"), Route("bbb", "p.test", "/aaa/bbb"));

        Assert.Equal("bbb", Match(table, "p.test", "/aaa/bbb"));
        Assert.Equal("bbb", Match(table, "p.test", "/aaa/bbb/ccc"));
        Assert.Equal("aaa", Match(table, "p.test", "/aaa/ccc"));
        Assert.Equal("root", Match(table, "p.test", "/aaaccc"));
    }

    [Fact]
    public void Match_ExactAndPrefixOfEqualLength_ExactWins()
    {
        var table = Table(Route("prefix", "mixed.test", "/foo"), Route("exact", "mixed.test", "/foo", PathMatchKind.Exact));

        Assert.Equal("exact", Match(table, "mixed.test", "/foo"));
        Assert.Equal("prefix", Match(table, "mixed.test", "/foo/"));
        Assert.Equal("prefix", Match(table, "mixed.test", "/foo/x"));
    }

    [Fact]
    public void Match_WildcardHost_CoversExactlyOneLabel()
    {
        var table = Table(Route("wild", "*.foo.com", "/"));

        Assert.Equal("wild", Match(table, "bar.foo.com", "/"));
        Assert.Null(Match(table, "baz.bar.foo.com", "/"));
        Assert.Null(Match(table, "foo.com", "/"));
        Assert.Null(Match(table, "barfoo.com", "/"));
    }

    [Fact]
    public void Match_GatewayApiWildcardHost_CoversSeveralLabelsForHttpRoutesOnlyMostSpecificFirst()
    {
        var table = Table(
            Route("ingress", "*.foo.com", "/ingress"),
            Route("http-route", "*.foo.com", "/") with { HttpRoute = new HttpRouteRule() },
            Route("deeper", "*.bar.foo.com", "/deeper") with { HttpRoute = new HttpRouteRule() });

        Assert.Equal("http-route", Match(table, "a.b.c.foo.com", "/"));
        Assert.Equal("http-route", Match(table, "bar.foo.com", "/"));
        Assert.Equal("deeper", Match(table, "a.b.bar.foo.com", "/deeper"));
        Assert.Equal("http-route", Match(table, "a.b.bar.foo.com", "/other"));
        // The Ingress route keeps the Ingress rule: one label only.
        Assert.Equal("ingress", Match(table, "bar.foo.com", "/ingress"));
        Assert.Equal("http-route", Match(table, "baz.bar.foo.com", "/ingress"));
        Assert.Null(Match(table, "foo.com", "/"));
        Assert.Equal(["http-route", "deeper"], table.Candidates("x.y.bar.foo.com").Select(r => r.RouteId).Where(id => id != "ingress").Reverse());
    }

    [Fact]
    public void Match_ExactHostAndWildcard_ExactHostFirstThenWildcardForOtherPaths()
    {
        var table = Table(Route("wild", "*.apps.test", "/"), Route("exact", "a.apps.test", "/app"));

        Assert.Equal("exact", Match(table, "a.apps.test", "/app/x"));
        Assert.Equal("wild", Match(table, "a.apps.test", "/other"));
        Assert.Equal("wild", Match(table, "b.apps.test", "/app"));
    }

    [Theory]
    [InlineData("WEB.Test")]
    [InlineData("web.test:8080")]
    [InlineData("Web.TEST:443")]
    [InlineData("web.test.")]
    public void Match_Host_CaseInsensitivePortIgnored(string host) =>
        Assert.Equal("web", Match(Table(Route("web", "web.test", "/")), host, "/"));

    [Fact]
    public void Match_Ipv6Host_PortIgnored() =>
        Assert.Equal("v6", Match(Table(Route("v6", "[::1]", "/")), "[::1]:8080", "/"));

    [Fact]
    public void Match_NoRouteForHostOrPath_RulesWithoutHostThenDefaultBackend()
    {
        var table = Table(
            Route("web", "web.test", "/app"),
            Route("nohost", "*", "/shared"),
            Route("default", "*", "/") with { IsDefaultBackend = true });

        Assert.Equal("web", Match(table, "web.test", "/app"));
        Assert.Equal("nohost", Match(table, "web.test", "/shared"));
        Assert.Equal("default", Match(table, "web.test", "/other"));
        Assert.Equal("default", Match(table, "unknown.test", "/"));
        Assert.Equal("default", Match(table, "", "/"));
    }

    [Fact]
    public void Match_HeaderAndQueryMatches_OnlyWhenBothPresentAndExact()
    {
        var table = Table(
            Route("stable", "app.test", "/"),
            Route("canary", "app.test", "/") with { Headers = [new HeaderMatch("X-Canary", "yes")], Query = [new QueryMatch("beta", "1")] });

        Assert.Equal("canary", Match(table, "app.test", "/", r => { r.Headers["x-canary"] = "yes"; r.QueryString = new QueryString("?beta=1"); }));
        Assert.Equal("stable", Match(table, "app.test", "/", r => { r.Headers["X-Canary"] = "YES"; r.QueryString = new QueryString("?beta=1"); }));
        Assert.Equal("stable", Match(table, "app.test", "/", r => r.QueryString = new QueryString("?beta=1")));
        Assert.Equal("stable", Match(table, "app.test", "/", r => r.Headers["X-Canary"] = "yes"));
    }

    [Fact]
    public void Match_RegexRoute_CaseInsensitiveAndAnotherRouteWhenItDoesNotMatch()
    {
        var table = Table(
            Route("plain", "rw.test", "/"),
            Route("regex", "rw.test", "/") with { PathRegex = "^/something(/|$)(.*)" });

        Assert.Equal("regex", Match(table, "rw.test", "/something/new"));
        Assert.Equal("regex", Match(table, "rw.test", "/SOMETHING"));
        Assert.Equal("plain", Match(table, "rw.test", "/somethingelse"));
    }

    [Fact]
    public void Match_RouteNotServedYet_NextRouteServes()
    {
        var table = Table(Route("root", "a.test", "/"), Route("admin", "a.test", "/admin"));

        Assert.Equal("root", Match(table, "a.test", "/admin", isServed: route => route.ProxyRouteId != "admin"));
    }

    [Fact]
    public void Match_PercentEncodingInRuleAndRequest_ComparedNormalized()
    {
        var table = Table(Route("cafe", "a.test", "/caf%c3%a9"), Route("admin", "a.test", "/%61dmin"));

        Assert.Equal("cafe", Match(table, "a.test", "/caf%C3%A9/menu"));
        Assert.Equal("admin", Match(table, "a.test", "/admin"));
    }

    [Theory]
    [InlineData("//admin")]
    [InlineData("/admin;x")]
    [InlineData("/admin/")]
    [InlineData("/%61dmin")]
    [InlineData("/x/../admin")]
    [InlineData("/./admin")]
    [InlineData("/public/..;/admin")]
    [InlineData("\\admin")]
    public void Match_PathTricks_ReachTheAdminRule(string path) =>
        Assert.Equal("admin", Match(Table(Route("root", "a.test", "/"), Route("admin", "a.test", "/admin")), "a.test", path));

    [Theory]
    [InlineData("/ADMIN")]
    [InlineData("/admin%2f..")]
    [InlineData("/admin%2F")]
    [InlineData("/adminx")]
    public void Match_NotTheAdminPath_RootRule(string path) =>
        Assert.Equal("root", Match(Table(Route("root", "a.test", "/"), Route("admin", "a.test", "/admin")), "a.test", path));

    [Fact]
    public void With_OneHostChanged_OnlyThatHostCompiled()
    {
        var hosts = Hosts([Route("a", "a.test", "/"), Route("b", "b.test", "/"), Route("c", "c.test", "/")]);
        var first = MatchTable.Empty(new MatchingOptions()).With(hosts, hosts.Keys, OwnProxyRoutes(hosts));

        hosts["b.test"] = new HostRoutes("b.test", 2, [Route("b2", "b.test", "/")]);
        hosts.Remove("c.test");
        var second = first.With(hosts, ["b.test", "c.test"], OwnProxyRoutes(hosts));

        Assert.Equal(3, first.CompiledHosts);
        Assert.Equal(1, second.CompiledHosts);
        Assert.Equal("b2", Match(second, "b.test", "/"));
        Assert.Equal("a", Match(second, "a.test", "/"));
        Assert.Null(Match(second, "c.test", "/"));
        Assert.Equal("b", Match(first, "b.test", "/"));
        Assert.Same(first.Candidates("a.test").Single(), second.Candidates("a.test").Single());
        Assert.Equal(2, second.HostCount);
    }

    [Fact]
    public void With_ManyHostsChangedOneAtATime_EachServesItsLatestRoutes()
    {
        var hosts = Hosts(Enumerable.Range(0, 1000).Select(i => Route($"r{i}", $"h{i}.test", "/")));
        var table = MatchTable.Empty(new MatchingOptions()).With(hosts, hosts.Keys, OwnProxyRoutes(hosts));
        var untouched = table.Candidates("h999.test").Single();

        // Far more changes than the table keeps over its base: it is rebuilt on the way, several times.
        for (var n = 0; n < 300; n++)
        {
            var key = $"h{n % 250}.test";
            if (n % 7 == 0)
            {
                hosts.Remove(key);
            }
            else
            {
                hosts[key] = new HostRoutes(key, n + 2, [Route($"r{n % 250}v{n}", key, "/")]);
            }

            table = table.With(hosts, [key], OwnProxyRoutes(hosts));
        }

        Assert.Equal(hosts.Count, table.HostCount);
        Assert.Same(untouched, table.Candidates("h999.test").Single());
        for (var i = 0; i < 1000; i++)
        {
            var key = $"h{i}.test";
            Assert.Equal(hosts.TryGetValue(key, out var routes) ? routes.Routes.Single().RouteId : null, Match(table, key, "/"));
        }
    }

    [Fact]
    public void With_GatewayWildcardHostChangedToIngressOnly_NoLongerCoversSeveralLabels()
    {
        var hosts = Hosts([Route("http-route", "*.foo.com", "/") with { HttpRoute = new HttpRouteRule() }]);
        var table = MatchTable.Empty(new MatchingOptions()).With(hosts, hosts.Keys, OwnProxyRoutes(hosts));
        Assert.Equal("http-route", Match(table, "a.b.foo.com", "/"));

        hosts["*.foo.com"] = new HostRoutes("*.foo.com", 2, [Route("ingress", "*.foo.com", "/")]);
        var ingressOnly = table.With(hosts, ["*.foo.com"], OwnProxyRoutes(hosts));

        Assert.Null(Match(ingressOnly, "a.b.foo.com", "/"));
        Assert.Equal("ingress", Match(ingressOnly, "b.foo.com", "/"));
    }

    [Fact]
    public void With_HostRemovedThenAddedBack_ServedAgain()
    {
        var hosts = Hosts([Route("a", "a.test", "/"), Route("b", "b.test", "/")]);
        var table = MatchTable.Empty(new MatchingOptions()).With(hosts, hosts.Keys, OwnProxyRoutes(hosts));

        var removed = table.With(new Dictionary<string, HostRoutes>(hosts).Where(h => h.Key != "a.test").ToDictionary(), ["a.test"], OwnProxyRoutes(hosts));
        var back = removed.With(hosts, ["a.test"], OwnProxyRoutes(hosts));

        Assert.Null(Match(removed, "a.test", "/"));
        Assert.Equal("a", Match(back, "a.test", "/"));
        Assert.Equal(2, back.HostCount);
    }

    [Fact]
    public void Candidates_Host_ItsRoutesThenWildcardThenAnyHostInOrder()
    {
        var table = Table(
            Route("exact-root", "a.apps.test", "/"), Route("exact-api", "a.apps.test", "/api"),
            Route("wild", "*.apps.test", "/"), Route("default", "*", "/") with { IsDefaultBackend = true }, Route("other", "b.apps.test", "/"));

        Assert.Equal(["exact-api", "exact-root", "wild", "default"], table.Candidates("A.apps.test:80").Select(r => r.RouteId));
    }
}
