using System.Collections.Immutable;
using Orleans.Proxy.IntegrationTests.Infrastructure;
using Orleans.Proxy.Routing;
using Orleans.Proxy.Translation.Ingress;

namespace Orleans.Proxy.IntegrationTests.HttpRoutes;

/// <summary>
/// Gateway API HTTPRoute filters and traffic split end to end: routes written to the grains as the
/// route source writes them, an edge, and real Kestrel backends.
/// </summary>
public sealed class HttpRouteEdgeTests
{
    private static RouteSpec Route(string id, string path, string clusterId, HttpRouteRule rule, PathMatchKind kind = PathMatchKind.Prefix) =>
        new($"ns/{id}#0.0", "gw.test", path, kind, [], [], clusterId, $"HTTPRoute ns/{id}") { HttpRoute = rule };

    private static DesiredState Desired(IEnumerable<RouteSpec> routes, params (string ClusterId, TestBackend Backend)[] backends) => new(
        routes.GroupBy(r => r.Host).ToImmutableSortedDictionary(g => g.Key, g => g.ToImmutableArray(), StringComparer.Ordinal),
        backends.ToImmutableSortedDictionary(
            b => b.ClusterId,
            b => new BackendSpec(b.ClusterId, 0, [new DestinationSpec(b.Backend.Endpoint, $"http://{b.Backend.Endpoint}")]),
            StringComparer.Ordinal),
        []);

    [Fact]
    public async Task Proxy_RedirectRewriteAndHeaderFilters_AsGatewayApiDefines()
    {
        await using var web = await TestBackend.StartAsync("web");
        await using var cluster = await ProxyTestCluster.StartAsync(silos: 1);
        var edge = await cluster.StartEdgeAsync();
        RouteSpec[] routes =
        [
            Route("web", "/", "ns/web:80", new HttpRouteRule()),
            Route("moved", "/old", "", new HttpRouteRule
            {
                Redirect = new RedirectSpec("https", "new.test", null, new PathModifier(PathModifierKind.ReplacePrefixMatch, "/new"), 301),
            }),
            Route("rewrite", "/api", "ns/web:80", new HttpRouteRule
            {
                Rewrite = new RewriteSpec("internal.test", new PathModifier(PathModifierKind.ReplacePrefixMatch, "/")),
                RequestHeaders = new HeaderModifier([new HeaderValue("X-Set", "new")], [new HeaderValue("X-Add", "two")], ["X-Remove"]),
                ResponseHeaders = new HeaderModifier([new HeaderValue("X-Answer", "set")], [], ["X-Backend-Protocol"]),
            }),
            Route("nowhere", "/nowhere", "", new HttpRouteRule()),
        ];
        await cluster.Publisher.PublishAsync(Desired(routes, ("ns/web:80", web)), rewriteAll: false, CancellationToken.None);
        await edge.WaitForBackendAsync("gw.test", "/", "web");
        var client = edge.Public;

        using var redirect = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/old/page?x=1") { Headers = { Host = "gw.test" } });
        Assert.Equal(301, (int)redirect.StatusCode);
        Assert.Equal("https://new.test/new/page?x=1", redirect.Headers.Location!.OriginalString);

        var before = web.Requests;
        var rewritten = new HttpRequestMessage(HttpMethod.Get, "/api/items?id=7") { Headers = { Host = "gw.test" } };
        rewritten.Headers.TryAddWithoutValidation("X-Set", "old");
        rewritten.Headers.TryAddWithoutValidation("X-Add", "one");
        rewritten.Headers.TryAddWithoutValidation("X-Remove", "secret");
        using var response = await client.SendAsync(rewritten);
        Assert.Equal("web internal.test /items?id=7", await response.Content.ReadAsStringAsync());
        var seen = web.SeenHeaders.Last();
        Assert.Equal("new", seen["X-Set"]);
        Assert.Equal("one, two", seen["X-Add"]);
        Assert.False(seen.ContainsKey("X-Remove"));
        Assert.Equal(["set"], response.Headers.GetValues("X-Answer"));
        Assert.False(response.Headers.Contains("X-Backend-Protocol"));

        Assert.Equal("500 ", await edge.GetBodyAsync("gw.test", "/nowhere"));
        Assert.Equal(before + 1, web.Requests);
    }

    [Fact]
    public async Task Proxy_WeightedBackendsAndMirror_SplitByWeightAndCopiesDiscarded()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var mirror = await TestBackend.StartAsync("mirror");
        await using var cluster = await ProxyTestCluster.StartAsync(silos: 1);
        var edge = await cluster.StartEdgeAsync();
        RouteSpec[] routes =
        [
            Route("all-to-b", "/b", "ns/a:80", new HttpRouteRule { Backends = [new("ns/a:80", 0), new("ns/b:80", 1)] }),
            Route("half", "/half", "ns/a:80", new HttpRouteRule { Backends = [new("ns/a:80", 1), new("ns/b:80", 1)] }),
            Route("invalid-share", "/invalid", "ns/a:80", new HttpRouteRule { Backends = [new("ns/a:80", 0), new("", 1)] }),
            Route("mirrored", "/mirrored", "ns/a:80", new HttpRouteRule { Mirrors = [new MirrorSpec("ns/mirror:80", 100)] }),
        ];
        await cluster.Publisher.PublishAsync(Desired(routes, ("ns/a:80", a), ("ns/b:80", b), ("ns/mirror:80", mirror)), rewriteAll: false, CancellationToken.None);
        await edge.WaitForBackendAsync("gw.test", "/mirrored", "a");
        await Eventually.Until(() => Task.FromResult(mirror.Requests > 0), "the first mirrored copy arrives");

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal("200 b gw.test /b", await edge.GetBodyAsync("gw.test", "/b"));
        }

        var half = new List<string>();
        for (var i = 0; i < 60; i++)
        {
            half.Add(await edge.GetBodyAsync("gw.test", "/half"));
        }

        Assert.Contains("200 a gw.test /half", half);
        Assert.Contains("200 b gw.test /half", half);
        Assert.Equal("500 ", await edge.GetBodyAsync("gw.test", "/invalid"));

        var mirrored = mirror.Requests;
        using var post = await edge.Public.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/mirrored/x?q=1")
        {
            Headers = { Host = "gw.test" },
            Content = new StringContent("payload"),
        });
        Assert.Equal("a gw.test /mirrored/x?q=1", await post.Content.ReadAsStringAsync());
        await Eventually.Until(() => Task.FromResult(mirror.Requests > mirrored), "the POST's copy arrives");
        Assert.Contains("POST /mirrored/x", mirror.Seen);
        Assert.Contains(mirror.SeenHeaders, h => h.GetValueOrDefault("Content-Length") == "7" && h.GetValueOrDefault("Host") == "gw.test");
        Assert.Equal(0, mirror.RequestsTo("/b") + mirror.RequestsTo("/half"));
    }
}
