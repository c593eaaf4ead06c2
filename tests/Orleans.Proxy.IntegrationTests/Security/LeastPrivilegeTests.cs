using Microsoft.Extensions.DependencyInjection;
using Orleans.Proxy.IntegrationTests.Infrastructure;
using Orleans.Proxy.RateLimiting;
using Orleans.Proxy.Routing;
using Orleans.Proxy.Security;
using Orleans.Proxy.Testing;

namespace Orleans.Proxy.IntegrationTests.Security;

/// <summary>An edge (a cluster client) reads routing state and takes leases; only the route source in the silos writes.</summary>
public sealed class LeastPrivilegeTests
{
    [Fact]
    public async Task ClientEdge_CallsWriteMethods_RefusedAndReadsStillWork()
    {
        await using var web = await TestBackend.StartAsync("web");
        using var routes = new TempDirectory();
        routes.Write("app.yaml", Manifests.ServiceFor("web", web) + "---\n" + Manifests.Ingress("app", "app.test", ("/", "Prefix", "web")));
        await using var silo = await TestSilo.StartAsync(routes.Path);
        await using var edge = await TestEdge.StartClientAsync(silo.GatewayPort);
        await edge.WaitForBackendAsync("app.test", "/", "web");
        var client = edge.App.Services.GetRequiredService<IClusterClient>();
        var host = client.GetGrain<IHostRouteGrain>("app.test");
        var catalog = client.GetGrain<IRouteCatalogGrain>(IRouteCatalogGrain.DefaultKey);
        var before = await catalog.GetSnapshot();
        var far = before.Generation + 1_000_000;

        var refused = new List<RouteSourceOnlyException>
        {
            await Assert.ThrowsAsync<RouteSourceOnlyException>(() => host.SetRoutes(new HostRoutes("app.test", far, []))),
            await Assert.ThrowsAsync<RouteSourceOnlyException>(() => client.GetGrain<IBackendGrain>("test/web:80").SetBackend(new BackendSpec("test/web:80", far, []))),
            await Assert.ThrowsAsync<RouteSourceOnlyException>(() => catalog.Publish(before with { Generation = far })),
            await Assert.ThrowsAsync<RouteSourceOnlyException>(() => catalog.PublishDelta(CatalogDelta.Between(before, before with { Generation = far }))),
            await Assert.ThrowsAsync<RouteSourceOnlyException>(() => client.GetGrain<ITlsCertificateGrain>("test/tls").SetCertificate(new TlsCertificateSpec("test/tls", far, "f", "cert", "key"))),
        };

        Assert.Contains("IHostRouteGrain.SetRoutes is written only by the route source", refused[0].Message, StringComparison.Ordinal);
        Assert.All(refused, e => Assert.Contains("may read this state but not write it", e.Message, StringComparison.Ordinal));
        // Nothing was written, and reads and leases still work.
        Assert.Equal(before.Generation, (await catalog.GetSnapshot()).Generation);
        Assert.Single((await host.GetRoutes()).Routes);
        Assert.NotEmpty((await client.GetGrain<IBackendGrain>("test/web:80").GetBackend()).Destinations);
        Assert.Equal(0, (await client.GetGrain<ITlsCertificateGrain>("test/tls").GetCertificate()).Version);
        // A lease is an edge's to take, but the bucket's settings are the policy's: the ones a request
        // carries do not change the bucket its key names.
        var policy = new RateLimitSpec("test/app/rate-limit", 10, RateLimitPeriod.Second, 10, RateLimitKeyKind.ClientIp, null, []);
        var bucket = client.GetGrain<IRateLimitGrain>(IRateLimitGrain.Key(policy, "1.2.3.4"));
        var lease = await bucket.AcquireLease(
            new LeaseRequest(edge.Id, RatePerSecond: 1_000_000, Capacity: 1_000_000, Requested: 1_000, RecentRate: 1, LeaseLength: TimeSpan.FromSeconds(1)));
        Assert.InRange(lease.Granted, 1, 10);
        var state = await bucket.GetState();
        Assert.Equal(10, state.Capacity);
        Assert.Equal(10, state.RatePerSecond);
        Assert.StartsWith("200 web ", await edge.GetBodyAsync("app.test", "/"));
    }

    [Fact]
    public async Task RouteSource_InsideSilo_StillWrites()
    {
        await using var web = await TestBackend.StartAsync("web");
        await using var next = await TestBackend.StartAsync("next");
        using var routes = new TempDirectory();
        routes.Write("services.yaml", Manifests.ServiceFor("web", web) + "---\n" + Manifests.ServiceFor("next", next));
        routes.Write("ingress.yaml", Manifests.Ingress("app", "app.test", ("/", "Prefix", "web")));
        await using var silo = await TestSilo.StartAsync(routes.Path);
        await using var edge = await TestEdge.StartClientAsync(silo.GatewayPort);
        await edge.WaitForBackendAsync("app.test", "/", "web");

        routes.Write("ingress.yaml", Manifests.Ingress("app", "app.test", ("/", "Prefix", "next")));

        await edge.WaitForBackendAsync("app.test", "/", "next");
    }
}
