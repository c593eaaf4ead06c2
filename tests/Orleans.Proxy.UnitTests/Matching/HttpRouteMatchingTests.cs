using Microsoft.AspNetCore.Http;
using Orleans.Proxy.Edge.Matching;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.UnitTests.Matching;

/// <summary>Gateway API HTTPRoute matching (method, regex and case rules, listeners) and precedence, on the matcher alone.</summary>
public sealed class HttpRouteMatchingTests
{
    private static RouteSpec Route(string id, string path, PathMatchKind kind = PathMatchKind.Prefix, HttpRouteRule? rule = null, string host = "gw.test") =>
        new(id, host, path, kind, [], [], $"ns/{id}:80", $"HTTPRoute ns/{id}") { HttpRoute = rule ?? new HttpRouteRule() };

    private static RouteSpec Ingress(string id, string path, PathMatchKind kind = PathMatchKind.Prefix) =>
        new(id, "gw.test", path, kind, [], [], $"ns/{id}:80", $"Ingress ns/{id}");

    private static MatchTable Table(params RouteSpec[] routes)
    {
        var hosts = routes.GroupBy(r => r.Host).ToDictionary(g => g.Key, g => new HostRoutes(g.Key, 1, [.. g]), StringComparer.Ordinal);
        return MatchTable.Empty(new MatchingOptions()).With(hosts, hosts.Keys, MatchTableTests.OwnProxyRoutes(hosts));
    }

    private static string? Match(MatchTable table, string path, Action<HttpRequest>? request = null, string host = "gw.test")
    {
        var context = new DefaultHttpContext();
        context.Request.Method = HttpMethods.Get;
        context.Request.Scheme = "http";
        request?.Invoke(context.Request);
        return table.Match(host, PathNormalizer.Normalize(path, table.Options).MatchPath, context.Request)?.RouteId;
    }

    private static Action<HttpRequest> Query(string query) => r => r.QueryString = new QueryString(query);

    private static Action<HttpRequest> Header(string name, string value) => r => r.Headers[name] = value;

    [Fact]
    public void Match_HeaderRegex_MatchesTheWholeValueOnly()
    {
        var table = Table(Route("regex", "/") with { Headers = [new HeaderMatch("X-Version", "v[0-9]+") { Kind = ValueMatchKind.RegularExpression }] });

        Assert.Equal("regex", Match(table, "/", Header("x-version", "v12")));
        Assert.Null(Match(table, "/", Header("X-Version", "v12-beta")));
        Assert.Null(Match(table, "/", Header("X-Version", "xv1")));
        Assert.Null(Match(table, "/", Header("X-Version", "V1")));
        Assert.Null(Match(table, "/"));
    }

    [Fact]
    public void Match_HeaderExact_NameCaseInsensitiveValueCaseSensitive()
    {
        var table = Table(Route("exact", "/") with { Headers = [new HeaderMatch("X-Env", "Canary")] });

        Assert.Equal("exact", Match(table, "/", Header("x-env", "Canary")));
        Assert.Null(Match(table, "/", Header("X-Env", "canary")));
    }

    [Fact]
    public void Match_QueryRegex_MatchesTheWholeDecodedValueOnly()
    {
        var table = Table(Route("regex", "/") with { Query = [new QueryMatch("id", "[a-z]+ [0-9]+") { Kind = ValueMatchKind.RegularExpression }] });

        Assert.Equal("regex", Match(table, "/", Query("?id=abc+12")));
        Assert.Equal("regex", Match(table, "/", Query("?x=1&id=abc%2012")));
        Assert.Null(Match(table, "/", Query("?id=abc+12x")));
        Assert.Null(Match(table, "/", Query("?id=")));
    }

    [Fact]
    public void Match_QueryName_CaseSensitiveAndFirstValueOnly()
    {
        var table = Table(Route("beta", "/") with { Query = [new QueryMatch("beta", "1")] });

        Assert.Equal("beta", Match(table, "/", Query("?beta=1")));
        Assert.Equal("beta", Match(table, "/", Query("?Beta=2&beta=1")));
        Assert.Equal("beta", Match(table, "/", Query("?b%65ta=1")));
        Assert.Null(Match(table, "/", Query("?BETA=1")));
        Assert.Null(Match(table, "/", Query("?beta=2&beta=1")));
        Assert.Null(Match(table, "/", Query("?beta")));
    }

    [Theory]
    [InlineData("(unclosed")]
    [InlineData("(a)\\1")]
    [InlineData("a)|(.*")]
    public void Match_RegexThatDoesNotCompileWithoutBacktracking_RoutePassedOver(string pattern)
    {
        var table = Table(
            Route("regex", "/a") with { Headers = [new HeaderMatch("X", pattern) { Kind = ValueMatchKind.RegularExpression }] },
            Route("plain", "/"));

        Assert.Equal("plain", Match(table, "/a", Header("X", "aa")));
    }

    [Fact]
    public void Match_Method_OnlyThatMethod()
    {
        var table = Table(Route("post", "/", rule: new HttpRouteRule { Method = "POST" }), Route("any", "/"));

        Assert.Equal("post", Match(table, "/", r => r.Method = HttpMethods.Post));
        Assert.Equal("any", Match(table, "/"));
        Assert.Equal("any", Match(table, "/", r => r.Method = "post"));
    }

    [Fact]
    public void Match_Listeners_HttpOnlyAndHttpsOnlyPassedOverOnTheOtherListener()
    {
        var table = Table(
            Route("plain", "/", rule: new HttpRouteRule { Listeners = RouteListeners.HttpOnly }),
            Route("tls", "/", rule: new HttpRouteRule { Listeners = RouteListeners.HttpsOnly }));
        var onlyTls = Table(Route("tls", "/", rule: new HttpRouteRule { Listeners = RouteListeners.HttpsOnly }));

        Assert.Equal("plain", Match(table, "/"));
        Assert.Equal("tls", Match(table, "/", r => r.Scheme = "https"));
        Assert.Null(Match(onlyTls, "/"));
    }

    [Fact]
    public void Match_ExactAndPrefix_ExactWinsWhateverThePrefixsOtherMatches()
    {
        var table = Table(
            Route("prefix", "/foo", rule: new HttpRouteRule { Method = "GET" }) with { Headers = [new HeaderMatch("X", "1")], Query = [new QueryMatch("q", "1")] },
            Route("exact", "/foo", PathMatchKind.Exact, new HttpRouteRule { Order = 5 }));

        Assert.Equal("exact", Match(table, "/foo", r => { r.Headers["X"] = "1"; r.QueryString = new QueryString("?q=1"); }));
        Assert.Equal("prefix", Match(table, "/foo/bar", r => { r.Headers["X"] = "1"; r.QueryString = new QueryString("?q=1"); }));
    }

    [Fact]
    public void Match_Prefixes_LongerFirstWhateverTheShortersOtherMatches()
    {
        var table = Table(
            Route("short", "/foo", rule: new HttpRouteRule { Method = "GET" }) with { Headers = [new HeaderMatch("X", "1")] },
            Route("long", "/foo/bar"));

        Assert.Equal("long", Match(table, "/foo/bar", Header("X", "1")));
        Assert.Equal("short", Match(table, "/foo/baz", Header("X", "1")));
    }

    [Fact]
    public void Match_SamePath_MethodBeforeHeaders()
    {
        var table = Table(
            Route("headers", "/", rule: new HttpRouteRule()) with { Headers = [new HeaderMatch("X", "1"), new HeaderMatch("Y", "1")] },
            Route("method", "/", rule: new HttpRouteRule { Method = "GET" }));

        Assert.Equal("method", Match(table, "/", r => { r.Headers["X"] = "1"; r.Headers["Y"] = "1"; }));
    }

    [Fact]
    public void Match_SamePathAndMethod_MoreHeadersBeforeMoreQuery()
    {
        var table = Table(
            Route("query", "/") with { Query = [new QueryMatch("a", "1"), new QueryMatch("b", "1")] },
            Route("one-header", "/") with { Headers = [new HeaderMatch("X", "1")] },
            Route("two-headers", "/") with { Headers = [new HeaderMatch("X", "1"), new HeaderMatch("Y", "1")] });
        Action<HttpRequest> all = r => { r.Headers["X"] = "1"; r.Headers["Y"] = "1"; r.QueryString = new QueryString("?a=1&b=1"); };

        Assert.Equal("two-headers", Match(table, "/", all));
        Assert.Equal("one-header", Match(table, "/", r => { r.Headers["X"] = "1"; r.QueryString = new QueryString("?a=1&b=1"); }));
        Assert.Equal("query", Match(table, "/", Query("?a=1&b=1")));
    }

    [Fact]
    public void Match_SameHeadersCount_MoreQueryFirst()
    {
        var table = Table(
            Route("one", "/") with { Query = [new QueryMatch("a", "1")] },
            Route("two", "/") with { Query = [new QueryMatch("a", "1"), new QueryMatch("b", "1")] });

        Assert.Equal("two", Match(table, "/", Query("?a=1&b=1")));
        Assert.Equal("one", Match(table, "/", Query("?a=1")));
    }

    [Fact]
    public void Match_EqualInEveryOtherKey_LowerOrderFirst()
    {
        var table = Table(
            Route("a-later", "/", rule: new HttpRouteRule { Order = 2 }),
            Route("z-earlier", "/", rule: new HttpRouteRule { Order = 1 }));

        Assert.Equal("z-earlier", Match(table, "/"));
    }

    [Fact]
    public void Match_RegexPath_AfterPrefixPathsCaseSensitiveWholePath()
    {
        var table = Table(
            Route("regex", "/", rule: new HttpRouteRule { Method = "GET" }) with { PathRegex = "/api/v[0-9]+" },
            Route("api", "/api"),
            Route("root", "/", rule: new HttpRouteRule { Order = 9 }));
        var alone = Table(Route("regex", "/") with { PathRegex = "/api/v[0-9]+" });

        Assert.Equal("api", Match(table, "/api/v1"));
        Assert.Equal("regex", Match(alone, "/api/v1"));
        Assert.Null(Match(alone, "/api/v1/x"));
        Assert.Null(Match(alone, "/API/v1"));
    }

    [Fact]
    public void Match_IngressAndHttpRouteOnOneHost_LongerPathFirstThenHttpRouteAtEqualPath()
    {
        var table = Table(Ingress("ingress-long", "/foo/bar"), Route("gateway-short", "/foo"), Ingress("ingress-same", "/foo"));

        Assert.Equal("ingress-long", Match(table, "/foo/bar"));
        Assert.Equal("gateway-short", Match(table, "/foo/baz"));
    }

    [Fact]
    public void Compare_MixedRoutesInAnyArrivalOrder_OneOrder()
    {
        RouteSpec[] routes =
        [
            Ingress("i-exact", "/a", PathMatchKind.Exact), Ingress("i-prefix", "/a/b"), Ingress("i-regex", "/") with { PathRegex = "^/a.*" },
            Route("g-exact", "/a", PathMatchKind.Exact), Route("g-prefix", "/a/b", rule: new HttpRouteRule { Method = "GET" }),
            Route("g-regex", "/") with { PathRegex = "/a.*" }, Route("g-root", "/", rule: new HttpRouteRule { Order = 3 }),
            Ingress("i-headers", "/a/b") with { Headers = [new HeaderMatch("X", "1")] },
        ];
        var expected = Table(routes).Candidates("gw.test").Select(r => r.RouteId).ToList();

        for (var seed = 0; seed < 20; seed++)
        {
            var shuffled = routes.ToArray();
            new Random(seed).Shuffle(shuffled);
            Assert.Equal(expected, Table(shuffled).Candidates("gw.test").Select(r => r.RouteId));
        }

        Assert.Equal(["i-regex", "g-prefix", "i-headers", "i-prefix", "g-exact", "i-exact", "g-root", "g-regex"], expected);
    }
}
