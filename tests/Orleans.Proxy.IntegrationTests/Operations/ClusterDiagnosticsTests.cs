using System.Net;
using System.Text.Json;
using Orleans.Proxy.Routing;
using Orleans.Proxy.IntegrationTests.Infrastructure;

using Orleans.Proxy.Testing;

namespace Orleans.Proxy.IntegrationTests.Operations;

/// <summary>The silo's cluster view, after a scripted sequence of route events, against what the grains hold.</summary>
public sealed class ClusterDiagnosticsTests
{
    [Fact]
    public async Task ClusterView_AfterRouteEvents_AnswersWhatTheGrainsHold()
    {
        await using var web1 = await TestBackend.StartAsync("web1");
        await using var web2 = await TestBackend.StartAsync("web2");
        await using var api = await TestBackend.StartAsync("api");
        using var routes = new TempDirectory();
        routes.Write("services.yaml", Manifests.ServiceFor("web", web1, web2) + "---\n" + Manifests.ServiceFor("api", api));
        routes.Write("ingress.yaml", Manifests.Ingress("shop", "shop.test", ("/", "Prefix", "web")));
        await using var silo = await TestSilo.StartAsync(routes.Path);
        await using var edge = await TestEdge.StartClientAsync(silo.GatewayPort, "edge-ops-1");
        await edge.WaitForBackendAsync("shop.test", "/", "web1");

        // Route events: a second host, a path on the first, a destination gone, a bad Ingress.
        routes.Write("services.yaml", Manifests.ServiceFor("web", web2) + "---\n" + Manifests.ServiceFor("api", api));
        routes.Write("ingress.yaml", Manifests.Ingress("shop", "shop.test", ("/", "Prefix", "web"), ("/api", "Prefix", "api")) + "---\n"
            + Manifests.Ingress("admin", "admin.test", ("/", "Prefix", "api")) + "---\n"
            + Manifests.Ingress("broken", "broken.test", ("/", "Prefix", "missing")));
        await edge.WaitForBackendAsync("admin.test", "/", "api");
        await Eventually.Until(async () => (await edge.GetBodyAsync("shop.test", "/")).StartsWith("200 web2 ", StringComparison.Ordinal)
            && (await edge.GetBodyAsync("shop.test", "/")).StartsWith("200 web2 ", StringComparison.Ordinal), "web1 is gone");

        var catalog = await silo.Grains.GetGrain<IRouteCatalogGrain>(IRouteCatalogGrain.DefaultKey).GetSnapshot();

        var hosts = await silo.DiagAsync("/diag/cluster/hosts");
        Assert.Equal(catalog.Generation, hosts.GetProperty("generation").GetInt64());
        Assert.Equal(["admin.test", "shop.test"], hosts.GetProperty("hosts").EnumerateArray().Select(h => h.GetProperty("host").GetString()));
        foreach (var host in hosts.GetProperty("hosts").EnumerateArray())
        {
            var held = await silo.Grains.GetGrain<IHostRouteGrain>(host.GetProperty("host").GetString()!).GetRoutes();
            Assert.Equal(held.Version, host.GetProperty("version").GetInt64());
            Assert.Equal(held.Routes.Select(r => (r.RouteId, r.Path, r.ClusterId)),
                host.GetProperty("routes").EnumerateArray().Select(r => (r.GetProperty("routeId").GetString()!, r.GetProperty("path").GetString()!, r.GetProperty("clusterId").GetString()!)));
        }

        var shop = await silo.DiagAsync("/diag/cluster/hosts/shop.test");
        Assert.Equal(["/", "/api"], shop.GetProperty("routes").EnumerateArray().Select(r => r.GetProperty("path").GetString()));
        Assert.Equal("Prefix", shop.GetProperty("routes")[1].GetProperty("pathMatch").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await silo.Diagnostics.GetAsync("/diag/cluster/hosts/nothing.test")).StatusCode);

        var web = await silo.DiagAsync("/diag/cluster/backends/test/web:80");
        var heldWeb = await silo.Grains.GetGrain<IBackendGrain>("test/web:80").GetBackend();
        Assert.Equal(heldWeb.Version, web.GetProperty("version").GetInt64());
        Assert.Equal([web2.Endpoint], web.GetProperty("destinations").EnumerateArray().Select(d => d.GetProperty("id").GetString()));
        Assert.Equal(["test/api:80", "test/web:80"], (await silo.DiagAsync("/diag/cluster/backends")).GetProperty("backends").EnumerateArray().Select(b => b.GetProperty("clusterId").GetString()));

        Assert.Contains((await silo.DiagAsync("/diag/cluster/rejections")).EnumerateArray(), r => r.GetProperty("object").GetString() == "Ingress test/broken");

        // The edge reports what it serves on its next Subscribe; then the cluster sees it up to date.
        await Eventually.Until(async () => (await silo.DiagAsync("/diag/cluster/edges")).GetProperty("edges").EnumerateArray()
            .Any(e => e.GetProperty("edgeId").GetString() == "edge-ops-1" && e.GetProperty("appliedGeneration").GetInt64() == catalog.Generation), "the edge reports the current generation");
        var edges = await silo.DiagAsync("/diag/cluster/edges");
        var self = edges.GetProperty("edges").EnumerateArray().Single(e => e.GetProperty("edgeId").GetString() == "edge-ops-1");
        Assert.True(self.GetProperty("upToDate").GetBoolean());
        Assert.Equal(0, self.GetProperty("generationsBehind").GetInt32());

        var silos = (await silo.DiagAsync("/diag/cluster/silos")).EnumerateArray().ToList();
        Assert.Equal("Active", Assert.Single(silos).GetProperty("status").GetString());

        // The same view through the edge's diagnostics port (it reads the grains through its client).
        Assert.Equal(hosts.GetRawText(), (await edge.DiagAsync("/diag/cluster/hosts")).GetRawText());
        Assert.Equal(["affinity", "ratelimits"], (await silo.DiagAsync("/diag/cluster/views")).EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(HttpStatusCode.NotFound, (await silo.Diagnostics.GetAsync("/diag/cluster/views/nothing")).StatusCode);
    }

    [Fact]
    public async Task SiloDiagnostics_WithoutToken_Answers401ButHealthStaysOpen()
    {
        using var routes = new TempDirectory();
        await using var silo = await TestSilo.StartAsync(routes.Path);

        foreach (var path in new[] { "/diag/cluster/hosts", "/diag/cluster/silos", "/metrics", "/dashboard/" })
        {
            using var anonymous = await silo.Anonymous.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Equal("Bearer", anonymous.Headers.WwwAuthenticate.Single().Scheme);
            using var wrong = new HttpRequestMessage(HttpMethod.Get, path);
            wrong.Headers.Authorization = new("Bearer", "not-the-token");
            Assert.Equal(HttpStatusCode.Unauthorized, (await silo.Anonymous.SendAsync(wrong)).StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await silo.Anonymous.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await silo.Diagnostics.GetAsync("/diag/cluster/silos")).StatusCode);
        using var dashboard = await silo.Diagnostics.GetAsync("/dashboard/");
        Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
        Assert.Contains("html", dashboard.Content.Headers.ContentType?.MediaType ?? "", StringComparison.Ordinal);
    }
}
