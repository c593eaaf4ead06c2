using System.Net;
using System.Text.Json;
using Orleans.Proxy.IntegrationTests.Infrastructure;

using Orleans.Proxy.Testing;

namespace Orleans.Proxy.IntegrationTests.EndToEnd;

/// <summary>Real backends on 127.0.0.1, a real embedded edge reading route files, real HTTP.</summary>
public sealed class EdgeRoutingTests
{
    [Fact]
    public async Task Proxy_HostAndPathRules_LongestPrefixAndExactWin()
    {
        await using var root = await TestBackend.StartAsync("root");
        await using var api = await TestBackend.StartAsync("api");
        await using var v2 = await TestBackend.StartAsync("v2");
        using var routes = new TempDirectory();
        routes.Write("services.yaml", Manifests.ServiceFor("root", root) + "---\n" + Manifests.ServiceFor("api", api) + "---\n" + Manifests.ServiceFor("v2", v2));
        routes.Write("ingress.yaml", Manifests.Ingress("shop", "shop.test",
            ("/", "Prefix", "root"), ("/api", "Prefix", "api"), ("/api/v2/", "Prefix", "v2"), ("/exact", "Exact", "v2")));
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path);
        await edge.WaitForBackendAsync("shop.test", "/", "root");

        Assert.StartsWith("200 api ", await edge.GetBodyAsync("shop.test", "/api"));
        Assert.StartsWith("200 api ", await edge.GetBodyAsync("shop.test", "/api/orders"));
        Assert.StartsWith("200 v2 ", await edge.GetBodyAsync("shop.test", "/api/v2"));
        Assert.StartsWith("200 v2 ", await edge.GetBodyAsync("shop.test", "/api/v2/orders?id=1"));
        // Prefix matching is per path element: /apix is not under /api.
        Assert.StartsWith("200 root ", await edge.GetBodyAsync("shop.test", "/apix"));
        Assert.StartsWith("200 v2 ", await edge.GetBodyAsync("shop.test", "/exact"));
        Assert.StartsWith("200 root ", await edge.GetBodyAsync("shop.test", "/exact/more"));
        // The backend sees the client's Host and the full path.
        Assert.Equal("200 api shop.test /api/orders", await edge.GetBodyAsync("shop.test", "/api/orders"));
    }

    [Fact]
    public async Task Proxy_UnknownHost_Answers404AndTouchesNoBackend()
    {
        await using var web = await TestBackend.StartAsync("web");
        using var routes = new TempDirectory();
        routes.Write("all.yaml", Manifests.ServiceFor("web", web) + "---\n" + Manifests.Ingress("web", "web.test", ("/", "Prefix", "web")));
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path);
        await edge.WaitForBackendAsync("web.test", "/", "web");
        var before = web.Requests;

        using var response = await edge.GetAsync("other.test", "/");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(before, web.Requests);
    }

    [Fact]
    public async Task Proxy_OversizedHeaders_Answers431AndTouchesNoBackend()
    {
        await using var web = await TestBackend.StartAsync("web");
        using var routes = new TempDirectory();
        routes.Write("all.yaml", Manifests.ServiceFor("web", web) + "---\n" + Manifests.Ingress("web", "web.test", ("/", "Prefix", "web")));
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path);
        await edge.WaitForBackendAsync("web.test", "/", "web");
        var before = web.Requests;

        using var response = await edge.GetAsync("web.test", "/", ("X-Huge", new string('x', 64 * 1024)));

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
        Assert.Equal(before, web.Requests);
    }

    [Fact]
    public async Task Proxy_DefaultBackend_ServesHostsWithoutRules()
    {
        await using var web = await TestBackend.StartAsync("web");
        await using var fallback = await TestBackend.StartAsync("fallback");
        using var routes = new TempDirectory();
        routes.Write("all.yaml", Manifests.ServiceFor("web", web) + "---\n" + Manifests.ServiceFor("fallback", fallback) + "---\n"
            + Manifests.Ingress("web", "web.test", ("/app", "Prefix", "web")) + "---\n" + Manifests.DefaultBackendIngress("default", "fallback"));
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path);
        await edge.WaitForBackendAsync("web.test", "/app", "web");

        Assert.StartsWith("200 fallback ", await edge.GetBodyAsync("unknown.test", "/anything"));
        Assert.StartsWith("200 fallback ", await edge.GetBodyAsync("web.test", "/not-app"));
    }

    [Fact]
    public async Task Proxy_WildcardHost_MatchesSubdomainButExactHostWins()
    {
        await using var wild = await TestBackend.StartAsync("wild");
        await using var exact = await TestBackend.StartAsync("exact");
        using var routes = new TempDirectory();
        routes.Write("all.yaml", Manifests.ServiceFor("wild", wild) + "---\n" + Manifests.ServiceFor("exact", exact) + "---\n"
            + Manifests.Ingress("wild", "*.apps.test", ("/", "Prefix", "wild")) + "---\n" + Manifests.Ingress("exact", "a.apps.test", ("/", "Prefix", "exact")));
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path);
        await edge.WaitForBackendAsync("b.apps.test", "/", "wild");

        Assert.StartsWith("200 exact ", await edge.GetBodyAsync("a.apps.test", "/x"));
        Assert.StartsWith("200 wild ", await edge.GetBodyAsync("c.apps.test", "/x"));
    }

    [Fact]
    public async Task Proxy_HeaderAndQueryMatches_RouteOnlyMatchingRequests()
    {
        await using var stable = await TestBackend.StartAsync("stable");
        await using var canary = await TestBackend.StartAsync("canary");
        using var routes = new TempDirectory();
        routes.Write("all.yaml", Manifests.ServiceFor("stable", stable) + "---\n" + Manifests.ServiceFor("canary", canary) + "---\n"
            + Manifests.Ingress("stable", "app.test", ("/", "Prefix", "stable")) + "---\n"
            + Manifests.IngressWithAnnotations("canary", "app.test",
                new Dictionary<string, string> { ["orleans-proxy.io/match-headers"] = "X-Canary=yes", ["orleans-proxy.io/match-query"] = "beta=1" },
                ("/", "Prefix", "canary")));
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path);
        await edge.WaitForBackendAsync("app.test", "/", "stable");

        Assert.StartsWith("200 canary ", await edge.GetBodyAsync("app.test", "/?beta=1", ("X-Canary", "yes")));
        Assert.StartsWith("200 stable ", await edge.GetBodyAsync("app.test", "/?beta=1"));
        Assert.StartsWith("200 stable ", await edge.GetBodyAsync("app.test", "/", ("X-Canary", "yes")));
    }

    [Fact]
    public async Task Proxy_NoDestinationUp_Answers503WithoutEndpointsAnd502WhenDown()
    {
        await using var doomed = await TestBackend.StartAsync("doomed");
        using var routes = new TempDirectory();
        routes.Write("empty-svc.yaml", Manifests.ServiceFor("empty"));
        routes.Write("doomed-svc.yaml", Manifests.ServiceFor("doomed", doomed));
        routes.Write("ingress.yaml", Manifests.Ingress("gaps", "gaps.test", ("/empty", "Prefix", "empty"), ("/doomed", "Prefix", "doomed")));
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path);
        await edge.WaitForBackendAsync("gaps.test", "/doomed", "doomed");

        using var noEndpoints = await edge.GetAsync("gaps.test", "/empty");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, noEndpoints.StatusCode);

        await doomed.DisposeAsync();
        using var down = await edge.GetAsync("gaps.test", "/doomed");
        Assert.Equal(HttpStatusCode.BadGateway, down.StatusCode);
    }

    [Fact]
    public async Task RouteFiles_ChangedUnderLoad_NewRouteServedWithZeroFailedRequests()
    {
        await using var blue = await TestBackend.StartAsync("blue");
        await using var green = await TestBackend.StartAsync("green");
        using var routes = new TempDirectory();
        routes.Write("services.yaml", Manifests.ServiceFor("blue", blue) + "---\n" + Manifests.ServiceFor("green", green));
        routes.Write("ingress.yaml", Manifests.Ingress("app", "app.test", ("/", "Prefix", "blue")));
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path);
        await edge.WaitForBackendAsync("app.test", "/", "blue");

        using var stop = new CancellationTokenSource();
        var failures = new List<string>();
        var served = new Dictionary<string, int>();
        var load = Task.Run(async () =>
        {
            // Bounded: stops when told, or after 2,000 requests.
            for (var i = 0; i < 2000 && !stop.IsCancellationRequested; i++)
            {
                var body = await edge.GetBodyAsync("app.test", "/");
                lock (served)
                {
                    if (!body.StartsWith("200 ", StringComparison.Ordinal))
                    {
                        failures.Add(body);
                    }
                    else
                    {
                        var name = body.Split(' ')[1];
                        served[name] = served.GetValueOrDefault(name) + 1;
                    }
                }
            }
        });

        await Task.Delay(200);
        routes.Write("ingress.yaml", Manifests.Ingress("app", "app.test", ("/", "Prefix", "green")));
        await Eventually.Until(() => Task.FromResult(Volatile.Read(ref served).GetValueOrDefault("green") > 20 || load.IsCompleted), "green serves");
        await stop.CancelAsync();
        await load;

        Assert.Empty(failures);
        Assert.True(served.GetValueOrDefault("blue") > 0, "blue served before the change");
        Assert.True(served.GetValueOrDefault("green") > 0, "green served after the change");
    }

    [Fact]
    public async Task RouteFiles_BadObjects_RejectedAloneWithReasonsWhileOthersServe()
    {
        await using var web = await TestBackend.StartAsync("web");
        using var routes = new TempDirectory();
        routes.Write("good.yaml", Manifests.ServiceFor("web", web) + "---\n" + Manifests.Ingress("good", "good.test", ("/", "Prefix", "web")));
        routes.Write("bad-path.yaml", Manifests.Ingress("bad-path", "bad.test", ("no-slash", "Prefix", "web")));
        routes.Write("unknown-service.yaml", Manifests.Ingress("unknown-service", "bad.test", ("/x", "Prefix", "missing")));
        routes.Write("broken.yaml", "apiVersion: v1\nkind: Service\nmetadata: [unclosed\n");
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path);
        await edge.WaitForBackendAsync("good.test", "/", "web");

        var rejections = (await edge.DiagAsync("/diag/rejections")).EnumerateArray()
            .Select(r => $"{r.GetProperty("object").GetString()} | {r.GetProperty("field").GetString()} | {r.GetProperty("reason").GetString()}")
            .ToList();

        Assert.Contains(rejections, r => r.StartsWith("Ingress test/bad-path | spec.rules[0].http.paths[0].path | ", StringComparison.Ordinal));
        Assert.Contains(rejections, r => r.StartsWith("Ingress test/unknown-service | spec.rules[0].http.paths[0].backend.service.name | Service 'test/missing' does not exist", StringComparison.Ordinal));
        Assert.Contains(rejections, r => r.StartsWith("broken.yaml | line ", StringComparison.Ordinal) && r.Contains("YAML does not parse", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.NotFound, (await edge.GetAsync("bad.test", "/x")).StatusCode);
    }

    [Fact]
    public async Task RouteFiles_FileStopsParsing_LastGoodContentKeepsServing()
    {
        await using var web = await TestBackend.StartAsync("web");
        using var routes = new TempDirectory();
        routes.Write("services.yaml", Manifests.ServiceFor("web", web));
        routes.Write("ingress.yaml", Manifests.Ingress("app", "app.test", ("/", "Prefix", "web")));
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path);
        await edge.WaitForBackendAsync("app.test", "/", "web");

        routes.Write("ingress.yaml", "apiVersion: networking.k8s.io/v1\nkind: Ingress\nspec: {rules: [\n");
        await Eventually.Until(async () => (await edge.DiagAsync("/diag/rejections")).EnumerateArray()
            .Any(r => r.GetProperty("reason").GetString()!.Contains("last good content", StringComparison.Ordinal)), "the broken file is reported");

        Assert.StartsWith("200 web ", await edge.GetBodyAsync("app.test", "/"));
    }

    [Fact]
    public async Task Diagnostics_OwnListenerWithToken_PublicListenerNeverAnswers()
    {
        using var routes = new TempDirectory();
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path);
        await Eventually.Until(async () => (await edge.Diagnostics.GetAsync("/health/ready")).IsSuccessStatusCode, "the edge is ready");

        using var anonymous = new HttpClient { BaseAddress = edge.Diagnostics.BaseAddress };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/diag/edge")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/live")).StatusCode);
        var self = await edge.DiagAsync("/diag/edge");
        Assert.True(self.GetProperty("connection").GetProperty("connected").GetBoolean());
        Assert.Equal(JsonValueKind.Number, self.GetProperty("generation").ValueKind);

        // The public listener never serves /diag, whatever Host or port the request claims.
        using var forged = new HttpRequestMessage(HttpMethod.Get, "/diag/edge");
        forged.Headers.Host = edge.Diagnostics.BaseAddress!.Authority;
        forged.Headers.Authorization = new("Bearer", TestEdge.DiagnosticsToken);
        Assert.Equal(HttpStatusCode.NotFound, (await edge.Public.SendAsync(forged)).StatusCode);
    }
}
