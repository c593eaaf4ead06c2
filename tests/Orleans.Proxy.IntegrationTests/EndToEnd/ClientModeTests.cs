using Orleans.Proxy.IntegrationTests.Infrastructure;

using Orleans.Proxy.Testing;

namespace Orleans.Proxy.IntegrationTests.EndToEnd;

/// <summary>An edge as a pure Orleans client of a silo in another host: the separate-process layout.</summary>
public sealed class ClientModeTests
{
    [Fact]
    public async Task ClientEdge_SiloGoesAwayAndReturns_ServesLastTableThenReconnects()
    {
        await using var web = await TestBackend.StartAsync("web");
        await using var next = await TestBackend.StartAsync("next");
        using var routes = new TempDirectory();
        routes.Write("services.yaml", Manifests.ServiceFor("web", web) + "---\n" + Manifests.ServiceFor("next", next));
        routes.Write("ingress.yaml", Manifests.Ingress("app", "app.test", ("/", "Prefix", "web")));
        var siloHost = await TestEdge.StartEmbeddedAsync(routes.Path);
        await using var client = await TestEdge.StartClientAsync(siloHost.GatewayPort);
        await client.WaitForBackendAsync("app.test", "/", "web");

        await siloHost.DisposeAsync();
        await Eventually.Until(async () => !(await client.DiagAsync("/diag/edge")).GetProperty("connection").GetProperty("connected").GetBoolean(),
            "the client edge notices the cluster is gone");
        // Fail static: still serving, and still ready.
        Assert.StartsWith("200 web ", await client.GetBodyAsync("app.test", "/"));
        using var ready = await client.Diagnostics.GetAsync("/health/ready");
        Assert.True(ready.IsSuccessStatusCode, $"{(int)ready.StatusCode} {await ready.Content.ReadAsStringAsync()}");

        routes.Write("ingress.yaml", Manifests.Ingress("app", "app.test", ("/", "Prefix", "next")));
        await using var restarted = await TestEdge.StartEmbeddedAsync(routes.Path, siloPort: siloHost.SiloPort, gatewayPort: siloHost.GatewayPort);
        await client.WaitForBackendAsync("app.test", "/", "next");
        // The edge marks itself connected right after applying what it fetched.
        await Eventually.Until(async () => (await client.DiagAsync("/diag/edge")).GetProperty("connection").GetProperty("connected").GetBoolean(),
            "the client edge reports it is connected again");
    }
}
