using System.Net;
using System.Text.Json;
using Orleans.Proxy.Edge.Diagnostics;
using Orleans.Proxy.IntegrationTests.Infrastructure;

using Orleans.Proxy.Testing;

namespace Orleans.Proxy.IntegrationTests.Operations;

/// <summary>The edge's own view: /diag/explain through YARP's matcher, the public port, the diag command.</summary>
public sealed class EdgeDiagnosticsTests
{
    [Fact]
    public async Task Readiness_ConnectedBeforeTheFirstPublication_NotReadyUntilARoutingTableIsPublished()
    {
        await using var web = await TestBackend.StartAsync("web");
        await using var cluster = await ProxyTestCluster.StartAsync(silos: 1);
        var edge = await cluster.StartEdgeAsync();
        // The edge loads the catalog as it is before any publication (generation 0, no hosts): that would answer 404 to all.
        await Eventually.Until(async () => (await edge.DiagAsync("/diag/edge")).GetProperty("appliedAt").ValueKind != JsonValueKind.Null,
            "the edge loaded the unpublished catalog");

        using (var before = await edge.Diagnostics.GetAsync("/health/ready"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, before.StatusCode);
            Assert.Contains("has not published a routing table", await before.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        await cluster.PublishAsync(Manifests.ServiceFor("web", web) + "---\n" + Manifests.Ingress("app", "app.test", ("/", "Prefix", "web")));
        await Eventually.Until(async () => (await edge.Diagnostics.GetAsync("/health/ready")).IsSuccessStatusCode, "the edge is ready");
        Assert.StartsWith("200 web ", await edge.GetBodyAsync("app.test", "/"));
    }

    [Fact]
    public async Task Explain_KnownRequests_NameTheRouteClusterAndDestinationTheProxyUses()
    {
        await using var root = await TestBackend.StartAsync("root");
        await using var api = await TestBackend.StartAsync("api");
        await using var canary = await TestBackend.StartAsync("canary");
        using var routes = new TempDirectory();
        routes.Write("services.yaml", Manifests.ServiceFor("root", root) + "---\n" + Manifests.ServiceFor("api", api) + "---\n" + Manifests.ServiceFor("canary", canary));
        routes.Write("ingress.yaml", Manifests.Ingress("shop", "shop.test", ("/", "Prefix", "root"), ("/api", "Prefix", "api")) + "---\n"
            + Manifests.IngressWithAnnotations("canary", "shop.test", new Dictionary<string, string> { ["orleans-proxy.io/match-headers"] = "X-Canary=yes" }, ("/api", "Prefix", "canary")));
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path);
        await edge.WaitForBackendAsync("shop.test", "/api/x", "api");

        var apiAnswer = await edge.DiagAsync("/diag/explain?host=shop.test&path=/api/orders?id=1");
        Assert.True(apiAnswer.GetProperty("matched").GetBoolean());
        Assert.Equal("test/api:80", apiAnswer.GetProperty("cluster").GetString());
        Assert.Equal(api.Endpoint, apiAnswer.GetProperty("destination").GetString());
        Assert.Equal("Ingress test/shop", apiAnswer.GetProperty("route").GetProperty("source").GetString());
        Assert.Equal("/api", apiAnswer.GetProperty("route").GetProperty("routePath").GetString());
        Assert.Equal(3, apiAnswer.GetProperty("candidates").GetArrayLength());
        Assert.Contains("the Ingress spec's order", apiAnswer.GetProperty("why")[0].GetString(), StringComparison.Ordinal);
        // What the proxy really does with that request.
        Assert.StartsWith("200 api ", await edge.GetBodyAsync("shop.test", "/api/orders?id=1"));

        var canaryAnswer = await edge.DiagAsync("/diag/explain?host=shop.test&path=/api/orders&header=X-Canary:yes");
        Assert.Equal("test/canary:80", canaryAnswer.GetProperty("cluster").GetString());
        Assert.Equal(canary.Endpoint, canaryAnswer.GetProperty("destination").GetString());
        Assert.Equal("Ingress test/canary", canaryAnswer.GetProperty("route").GetProperty("source").GetString());
        Assert.StartsWith("200 canary ", await edge.GetBodyAsync("shop.test", "/api/orders", ("X-Canary", "yes")));

        var rootAnswer = await edge.DiagAsync("/diag/explain?host=shop.test&path=/apix");
        Assert.Equal("test/root:80", rootAnswer.GetProperty("cluster").GetString());
        Assert.Equal(root.Endpoint, rootAnswer.GetProperty("destination").GetString());

        var none = await edge.DiagAsync("/diag/explain?host=other.test&path=/");
        Assert.False(none.GetProperty("matched").GetBoolean());
        Assert.Contains("404", none.GetProperty("why").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await edge.GetAsync("other.test", "/")).StatusCode);
    }

    [Fact]
    public async Task PublicPort_DiagnosticsPaths_Answer404()
    {
        using var routes = new TempDirectory();
        // The dashboard is off by default on the edge; turned on, it is on the diagnostics port only.
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path, new Dictionary<string, string?> { ["Diagnostics:Dashboard"] = "true" });
        await Eventually.Until(async () => (await edge.Diagnostics.GetAsync("/health/ready")).IsSuccessStatusCode, "the edge is ready");

        foreach (var path in new[] { "/diag/edge", "/diag/explain?host=a&path=/", "/diag/cluster/hosts", "/metrics", "/dashboard/" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Authorization = new("Bearer", TestEdge.DiagnosticsToken);
            Assert.Equal(HttpStatusCode.NotFound, (await edge.Public.SendAsync(request)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await edge.Diagnostics.GetAsync(path)).StatusCode);
        }

        using var anonymous = new HttpClient { BaseAddress = edge.Diagnostics.BaseAddress };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/diag/explain?host=a&path=/")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/metrics")).StatusCode);
    }

    [Fact]
    public async Task DiagCommand_EachCommand_PrintsAlignedTablesOfWhatTheApiAnswers()
    {
        await using var web = await TestBackend.StartAsync("web");
        using var routes = new TempDirectory();
        routes.Write("all.yaml", Manifests.ServiceFor("web", web) + "---\n" + Manifests.Ingress("web", "web.test", ("/", "Prefix", "web"), ("/docs", "Exact", "web"))
            + "---\n" + Manifests.Ingress("bad", "bad.test", ("/", "Prefix", "missing")));
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path);
        await edge.WaitForBackendAsync("web.test", "/", "web");
        var url = edge.Diagnostics.BaseAddress!.ToString();

        async Task<string[]> Run(params string[] args)
        {
            using var output = new StringWriter();
            var code = await DiagnosticsCommand.RunAsync([.. args, "--url", url, "--token", TestEdge.DiagnosticsToken], output);
            Assert.True(code == 0, output.ToString());
            return output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }

        var hosts = await Run("hosts");
        Assert.Equal(["HOST", "PATH", "MATCH", "CLUSTER", "ROUTE", "SOURCE"], hosts[1].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(["web.test", "/docs", "Exact", "test/web:80"], hosts.Single(l => l.Contains("/docs", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[..4]);
        // Aligned: every row's CLUSTER column starts where its header does.
        var column = hosts[1].IndexOf("CLUSTER", StringComparison.Ordinal);
        Assert.All(hosts[2..], row => Assert.Equal("test/web:80", row[column..].Split(' ')[0]));

        Assert.Contains(await Run("host", "web.test"), l => l.StartsWith("/docs", StringComparison.Ordinal) && l.Contains("Exact", StringComparison.Ordinal));
        Assert.Contains(await Run("backends", "test/web:80"), l => l == $"{web.Endpoint}  http://{web.Endpoint}");
        Assert.Contains(await Run("edge"), l => l.StartsWith("connection.connected", StringComparison.Ordinal) && l.EndsWith("yes", StringComparison.Ordinal));
        Assert.Contains(await Run("edges"), l => l.StartsWith(edge.Id, StringComparison.Ordinal));
        Assert.Contains(await Run("silos"), l => l.Contains("Active", StringComparison.Ordinal));
        Assert.Contains(await Run("rejections"), l => l.StartsWith("Ingress test/bad", StringComparison.Ordinal));
        var explain = await Run("explain", "web.test", "/docs");
        Assert.Contains(explain, l => l.StartsWith("destination", StringComparison.Ordinal) && l.Contains(web.Endpoint, StringComparison.Ordinal));
        Assert.Contains(explain, l => l.StartsWith("cluster", StringComparison.Ordinal) && l.EndsWith("test/web:80", StringComparison.Ordinal));

        using var refused = new StringWriter();
        Assert.Equal(1, await DiagnosticsCommand.RunAsync(["hosts", "--url", url, "--token", "wrong"], refused));
        Assert.StartsWith("error: 401", refused.ToString(), StringComparison.Ordinal);
        using var usage = new StringWriter();
        Assert.Equal(2, await DiagnosticsCommand.RunAsync(["nonsense"], usage));
        Assert.StartsWith("usage: diag", usage.ToString(), StringComparison.Ordinal);
    }
}
