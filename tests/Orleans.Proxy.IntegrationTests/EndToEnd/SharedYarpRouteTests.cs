using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Proxy.Edge.AccessLog;
using Orleans.Proxy.Edge.Routing;
using Orleans.Proxy.IntegrationTests.Infrastructure;
using Orleans.Proxy.IntegrationTests.Operations;
using Orleans.Proxy.Testing;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Model;

namespace Orleans.Proxy.IntegrationTests.EndToEnd;

/// <summary>Routes that differ only in what they match share one YARP route, and are still served, logged and explained as themselves.</summary>
public sealed class SharedYarpRouteTests
{
    [Fact]
    public async Task EndpointsThenASettingChanged_ServedWithoutAYarpConfigurationUpdate_TheSettingKeepsTheNewEndpoints()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var c = await TestBackend.StartAsync("c");
        using var routes = new TempDirectory();
        routes.Write("services.yaml", Manifests.ServiceFor("web", a.Port));
        routes.Write("ingress.yaml", Manifests.Ingress("app", "pods.test", ("/", "Prefix", "web")));
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path);
        await edge.WaitForBackendAsync("pods.test", "/", "a");
        var yarp = edge.App.Services.GetRequiredService<InMemoryConfigProvider>();
        var configured = yarp.GetConfig();

        // A rollout: a's pod gone, b and c ready.
        routes.Write("services.yaml", Manifests.ServiceFor("web", b.Port, c.Port));
        await Eventually.Until(async () => !(await edge.GetBodyAsync("pods.test", "/")).StartsWith("200 a ", StringComparison.Ordinal), "a is no longer served");
        var answered = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            answered.Add((await edge.GetBodyAsync("pods.test", "/"))[..6]);
        }

        Assert.Equal(["200 b ", "200 c "], answered.Distinct().Order(StringComparer.Ordinal));
        Assert.Same(configured, yarp.GetConfig());
        Assert.False(configured.ChangeToken.HasChanged);

        // A setting of the backend changes: the backend's state takes it, with the destinations as they are now.
        var backends = edge.App.Services.GetRequiredService<BackendStates>();
        routes.Write("ingress.yaml", Manifests.IngressWithAnnotations("app", "pods.test", new Dictionary<string, string> { ["nginx.ingress.kubernetes.io/proxy-read-timeout"] = "17" }, ("/", "Prefix", "web")));
        ClusterState? web = null;
        await Eventually.Until(() => Task.FromResult(backends.TryGetCluster(Assert.Single(edge.App.Services.GetRequiredService<RouteTableCache>().Current.Backends.Keys), out web)
            && web.Model.Config.HttpRequest?.ActivityTimeout == TimeSpan.FromSeconds(17)), "the setting reached the backend");
        Assert.Equal(new[] { b.Endpoint, c.Endpoint }.Order(StringComparer.Ordinal), web!.DestinationsState.AvailableDestinations
            .Select(d => new Uri(d.Model.Config.Address).Authority).Order(StringComparer.Ordinal));
        Assert.Same(configured, yarp.GetConfig());
        for (var i = 0; i < 4; i++)
        {
            Assert.DoesNotContain("200 a ", await edge.GetBodyAsync("pods.test", "/"), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ServiceReplaced_ServedWithoutAYarpConfigurationUpdate_TheOldBackendGone()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        using var routes = new TempDirectory();
        routes.Write("services.yaml", Manifests.ServiceFor("blue", a.Port));
        routes.Write("ingress.yaml", Manifests.Ingress("app", "swap.test", ("/", "Prefix", "blue")));
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path);
        await edge.WaitForBackendAsync("swap.test", "/", "a");
        var yarp = edge.App.Services.GetRequiredService<InMemoryConfigProvider>();
        var configured = yarp.GetConfig();
        var backends = edge.App.Services.GetRequiredService<BackendStates>();
        var blue = Assert.Single(edge.App.Services.GetRequiredService<RouteTableCache>().Current.Backends.Keys);

        // The Ingress moves to green and blue is deleted.
        routes.Write("services.yaml", Manifests.ServiceFor("green", b.Port));
        routes.Write("ingress.yaml", Manifests.Ingress("app", "swap.test", ("/", "Prefix", "green")));
        await edge.WaitForBackendAsync("swap.test", "/", "b");

        // Blue's state goes with the table that stopped naming it, and YARP's configuration never changed.
        await Eventually.Until(() => Task.FromResult(!backends.TryGet(blue, out _)), "the deleted Service is no longer served");
        Assert.Equal(1, backends.Count);
        Assert.Same(configured, yarp.GetConfig());
        Assert.StartsWith("200 b ", await edge.GetBodyAsync("swap.test", "/"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TwoIngressesOneBackend_OneYarpRoute_EachRequestLoggedExplainedAndPinnedAsItsOwnRoute()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        using var routes = new TempDirectory();
        routes.Write("services.yaml", Manifests.ServiceFor("web", a.Port, b.Port));
        // The same backend and settings but for affinity, which the edge reads from the matched route.
        routes.Write("ingress.yaml", Manifests.Ingress("plain", "share.test", ("/plain", "Prefix", "web")) + "---\n"
            + Manifests.IngressWithAnnotations("sticky", "share.test", new Dictionary<string, string> { ["orleans-proxy.io/affinity"] = "cookie" }, ("/sticky", "Prefix", "web")));
        var output = new AccessLogTests.CapturingWriter();
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path, configureServices: s => s.AddSingleton(TestAccessLog.Output(output)));
        using var client = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = new Uri($"http://{edge.PublicEndpoint}") };
        await Eventually.Until(async () => (await GetAsync(client, "/sticky/1", null)).Status == HttpStatusCode.OK
            && (await GetAsync(client, "/plain/1", null)).Status == HttpStatusCode.OK, "both routes serve");

        var shared = Assert.Single(edge.App.Services.GetRequiredService<IProxyStateLookup>().GetRoutes());

        // Affinity on the sticky route only: a cookie, then always the same backend; the plain route goes round.
        var (_, cookie, pinned) = await GetAsync(client, "/sticky/2", null);
        Assert.NotNull(cookie);
        for (var i = 0; i < 6; i++)
        {
            var again = await GetAsync(client, $"/sticky/{i}", cookie);
            Assert.Equal((null, pinned), (again.Cookie, again.Backend));
        }

        var plain = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var answer = await GetAsync(client, "/plain/x", null);
            Assert.Null(answer.Cookie);
            plain.Add(answer.Backend);
        }

        Assert.Equal(["a", "b"], plain.Distinct().Order(StringComparer.Ordinal));

        // The access log names each request's own route.
        Assert.Equal("test/sticky#0.0", (await output.WaitForLineAsync(l => l.GetProperty("path").GetString() == "/sticky/2")).GetProperty("route").GetString());
        Assert.Equal("test/plain#0.0", (await output.WaitForLineAsync(l => l.GetProperty("path").GetString() == "/plain/x")).GetProperty("route").GetString());

        // So does explain, with the YARP route they share.
        foreach (var (path, name) in new[] { ("/sticky/1", "sticky"), ("/plain/1", "plain") })
        {
            var route = (await edge.DiagAsync($"/diag/explain?host=share.test&path={path}")).GetProperty("route");
            Assert.Equal($"test/{name}#0.0", route.GetProperty("routeId").GetString());
            Assert.Equal($"Ingress test/{name} spec.rules[0].http.paths[0]", route.GetProperty("rule").GetString());
            Assert.Equal(shared.Config.RouteId, route.GetProperty("proxyRoute").GetString());
        }
    }

    [Fact]
    public async Task PathAddedOnServedSettingsAndBackend_ServedWithoutAYarpUpdate()
    {
        await using var web = await TestBackend.StartAsync("web");
        using var routes = new TempDirectory();
        routes.Write("services.yaml", Manifests.ServiceFor("web", web.Port));
        routes.Write("shop.yaml", Manifests.Ingress("shop", "shop.test", ("/a", "Prefix", "web")));
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path);
        await edge.WaitForBackendAsync("shop.test", "/a", "web");
        var served = edge.App.Services.GetRequiredService<InMemoryConfigProvider>().GetConfig();

        routes.Write("churn.yaml", Manifests.Ingress("churn", "churn.test", ("/v/1", "Exact", "web")));
        await edge.WaitForBackendAsync("churn.test", "/v/1", "web");

        Assert.Same(served, edge.App.Services.GetRequiredService<InMemoryConfigProvider>().GetConfig());
        Assert.Equal(HttpStatusCode.NotFound, (await edge.GetAsync("churn.test", "/v/2")).StatusCode);
    }

    private static async Task<(HttpStatusCode Status, string? Cookie, string Backend)> GetAsync(HttpClient client, string path, string? cookie)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Host = "share.test";
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", cookie);
        }

        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        var setCookie = response.Headers.TryGetValues("Set-Cookie", out var values) ? values.Single().Split(';')[0] : null;
        return (response.StatusCode, setCookie, body.Split(' ')[0]);
    }
}
