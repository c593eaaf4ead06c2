using Orleans.Proxy.Routing;
using Orleans.Proxy.Translation.Ingress.Conflicts;

namespace Orleans.Proxy.UnitTests.Translation.Ingress;

public sealed class RouteTableTests
{
    private static RouteSpec Route(string id, string source, string path = "/", PathMatchKind kind = PathMatchKind.Prefix, string host = "shop.example.com", params HeaderMatch[] headers) =>
        new(id, host, path, kind, [.. headers], [], "shop/web:80", source);

    [Fact]
    public void Add_SameHostAndPathTwice_FirstKeepsServingSecondRejected()
    {
        var rejections = new List<Rejection>();
        var table = new RouteTable(rejections);

        Assert.True(table.Add(Route("shop/old#0.0", "Ingress shop/old", "/ok"), "spec.rules[0].http.paths[0]"));
        Assert.False(table.Add(Route("shop/new#0.0", "Ingress shop/new", "/ok"), "spec.rules[0].http.paths[0]"));

        Assert.Equal("shop/old#0.0", Assert.Single(table.ToHosts()["shop.example.com"]).RouteId);
        Assert.Equal(
            new Rejection("Ingress shop/new", "spec.rules[0].http.paths[0]", "host 'shop.example.com' path '/ok' (Prefix) is already routed by Ingress shop/old (route shop/old#0.0)"),
            Assert.Single(rejections));
    }

    [Fact]
    public void Add_SamePathOtherKindOrHeaderMatch_BothServe()
    {
        var rejections = new List<Rejection>();
        var table = new RouteTable(rejections);

        table.Add(Route("a#0.0", "Ingress shop/a", "/ok"), "f");
        table.Add(Route("b#0.0", "Ingress shop/b", "/ok", PathMatchKind.Exact), "f");
        table.Add(Route("c#0.0", "Ingress shop/c", "/ok", PathMatchKind.Prefix, "shop.example.com", new HeaderMatch("X-Env", "canary")), "f");

        Assert.Empty(rejections);
        Assert.Equal(["a#0.0", "b#0.0", "c#0.0"], table.ToHosts()["shop.example.com"].Select(r => r.RouteId));
    }

    [Fact]
    public void Add_HeaderNamesDifferInCaseOnly_SameMatchRejected()
    {
        var rejections = new List<Rejection>();
        var table = new RouteTable(rejections);

        table.Add(Route("a#0.0", "Ingress shop/a", "/", PathMatchKind.Prefix, "shop.example.com", new HeaderMatch("X-Env", "canary")), "f");
        table.Add(Route("b#0.0", "Ingress shop/b", "/", PathMatchKind.Prefix, "shop.example.com", new HeaderMatch("x-env", "canary")), "f");

        Assert.Single(rejections);
    }

    [Fact]
    public void Add_SecondDefaultBackend_RejectedNamingTheFirst()
    {
        var rejections = new List<Rejection>();
        var table = new RouteTable(rejections);

        table.Add(Route("shop/fallback#default", "Ingress shop/fallback", host: "*") with { IsDefaultBackend = true }, "spec.defaultBackend");
        table.Add(Route("shop/other#default", "Ingress shop/other", host: "*") with { IsDefaultBackend = true }, "spec.defaultBackend");

        Assert.Equal(new Rejection("Ingress shop/other", "spec.defaultBackend", "the default backend is already set by Ingress shop/fallback"), Assert.Single(rejections));
        Assert.Equal("shop/fallback#default", Assert.Single(table.ToHosts()["*"]).RouteId);
    }

    [Fact]
    public void ToHosts_RoutesOfAHost_OrderedByRouteId()
    {
        var table = new RouteTable(new List<Rejection>());
        table.Add(Route("b#0.0", "Ingress shop/b", "/b"), "f");
        table.Add(Route("a#0.0", "Ingress shop/a", "/a"), "f");

        Assert.Equal(["a#0.0", "b#0.0"], table.ToHosts()["shop.example.com"].Select(r => r.RouteId));
    }

    [Fact]
    public void SamePath_HeaderMatchesAside_RoutesOfThatPathOnly()
    {
        var table = new RouteTable(new List<Rejection>());
        table.Add(Route("a#0.0", "Ingress shop/a", "/"), "f");
        table.Add(Route("a#0.1", "Ingress shop/a", "/", PathMatchKind.Prefix, "shop.example.com", new HeaderMatch("X-Env", "canary")), "f");
        table.Add(Route("a#0.2", "Ingress shop/a", "/other"), "f");

        Assert.Equal(["a#0.0", "a#0.1"], table.SamePath("shop.example.com", Route("c#0.0", "Ingress shop/c", "/")).Select(r => r.RouteId));
        Assert.Empty(table.SamePath("other.example.com", Route("c#0.0", "Ingress shop/c", "/")));
    }
}
