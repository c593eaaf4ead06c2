using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Proxy.IntegrationTests.Infrastructure;
using Orleans.Proxy.Routing;
using Orleans.Proxy.Silo.Publishing;
using Orleans.Proxy.Testing;
using Orleans.Proxy.Translation.Files;
using Orleans.Proxy.Translation.Ingress;

namespace Orleans.Proxy.IntegrationTests.Security;

/// <summary>Grains are a cache of the route source's truth, whatever version they were made to hold.</summary>
public sealed class VersionConvergenceTests
{
    [Fact]
    public async Task Grains_VersionFarAheadOfClock_Refused()
    {
        await using var cluster = await ProxyTestCluster.StartAsync(silos: 1);
        var future = VersionClock.At(DateTimeOffset.UtcNow + TimeSpan.FromDays(1));
        var route = new RouteSpec("t/a#0.0", "future.test", "/", PathMatchKind.Prefix, [], [], "t/a:80", "Ingress t/a");
        var host = cluster.SiloGrains.GetGrain<IHostRouteGrain>("future.test");
        Assert.True((await host.SetRoutes(new HostRoutes("future.test", 10, [route]))).Stored);

        var refused = await host.SetRoutes(new HostRoutes("future.test", future, []));

        Assert.Equal(new VersionedWrite(false, 10), refused);
        Assert.Single((await host.GetRoutes()).Routes);
        Assert.False((await cluster.SiloGrains.GetGrain<IBackendGrain>("t/a:80").SetBackend(new BackendSpec("t/a:80", future, []))).Stored);
        Assert.False((await cluster.SiloGrains.GetGrain<ITlsCertificateGrain>("t/tls").SetCertificate(TlsCertificateSpec.Empty("t/tls") with { Version = future })).Stored);
        var catalog = cluster.SiloGrains.GetGrain<IRouteCatalogGrain>("future");
        Assert.False((await catalog.Publish(CatalogSnapshot.Empty with { Generation = future })).Stored);
        Assert.Equal(0, (await catalog.GetSnapshot()).Generation);
    }

    [Fact]
    public async Task Resync_GrainsHoldFutureVersionNeverWritten_DesiredRoutesServeAgain()
    {
        await using var good = await TestBackend.StartAsync("good");
        await using var evil = await TestBackend.StartAsync("evil");
        await using var cluster = await ProxyTestCluster.StartAsync(silos: 1);
        var edge = await cluster.StartEdgeAsync();
        var desired = Convert(Manifests.ServiceFor("web", good.Port) + "---\n" + Manifests.Ingress("app", "app.test", ("/", "Prefix", "web")));
        await cluster.Publisher.PublishAsync(desired, rewriteAll: false, CancellationToken.None);
        await edge.WaitForBackendAsync("app.test", "/", "good");

        // Planted from inside the cluster, a minute ahead (within the clock tolerance, so the grains take it):
        // the host's routes point at another backend, and a catalog names them.
        var planted = VersionClock.At(DateTimeOffset.UtcNow + TimeSpan.FromMinutes(1));
        var grains = cluster.SiloGrains;
        var evilRoute = new RouteSpec("x/evil#0.0", "app.test", "/", PathMatchKind.Prefix, [], [], "x/evil:80", "planted");
        Assert.True((await grains.GetGrain<IBackendGrain>("x/evil:80").SetBackend(new BackendSpec("x/evil:80", planted, [new DestinationSpec("evil", $"http://127.0.0.1:{evil.Port}")]))).Stored);
        Assert.True((await grains.GetGrain<IHostRouteGrain>("app.test").SetRoutes(new HostRoutes("app.test", planted, [evilRoute]))).Stored);
        var current = await grains.GetGrain<IRouteCatalogGrain>(IRouteCatalogGrain.DefaultKey).GetSnapshot();
        Assert.True((await grains.GetGrain<IRouteCatalogGrain>(IRouteCatalogGrain.DefaultKey).Publish(current with
        {
            Generation = planted,
            Hosts = current.Hosts.SetItem("app.test", planted),
            Backends = current.Backends.SetItem("x/evil:80", planted),
        })).Stored);
        await edge.WaitForBackendAsync("app.test", "/", "evil");

        await cluster.Publisher.PublishAsync(desired, rewriteAll: true, CancellationToken.None);

        await edge.WaitForBackendAsync("app.test", "/", "good");
        var routes = await grains.GetGrain<IHostRouteGrain>("app.test").GetRoutes();
        Assert.True(routes.Version > planted);
        Assert.Equal(desired.Hosts["app.test"].Select(r => r.ClusterId), routes.Routes.Select(r => r.ClusterId));
        var catalog = await grains.GetGrain<IRouteCatalogGrain>(IRouteCatalogGrain.DefaultKey).GetSnapshot();
        Assert.True(catalog.Generation > planted);
        Assert.False(catalog.Backends.ContainsKey("x/evil:80"));
    }

    [Fact]
    public async Task Publish_AnotherWriterHoldsTheSameContentAtNewerVersions_AdoptedNotRewritten()
    {
        await using var cluster = await ProxyTestCluster.StartAsync(silos: 1);
        var desired = Convert(Manifests.ServiceFor("web", 8080) + "---\n" + Manifests.Ingress("app", "app.test", ("/", "Prefix", "web")));
        // A previous leader whose clock ran 30 s ahead wrote the same state.
        var previous = new RoutePublisher(cluster.SiloGrains, new OffsetClock(TimeSpan.FromSeconds(30)), NullLogger<RoutePublisher>.Instance);
        await previous.PublishAsync(desired, rewriteAll: false, CancellationToken.None);
        var host = cluster.SiloGrains.GetGrain<IHostRouteGrain>("app.test");
        var held = (await host.GetRoutes()).Version;

        await cluster.Publisher.PublishAsync(desired, rewriteAll: true, CancellationToken.None);

        Assert.Equal(held, (await host.GetRoutes()).Version);
        Assert.Equal(held, cluster.Publisher.Catalog.Hosts["app.test"]);
        var catalog = await cluster.SiloGrains.GetGrain<IRouteCatalogGrain>(IRouteCatalogGrain.DefaultKey).GetSnapshot();
        Assert.Equal(cluster.Publisher.Catalog.Generation, catalog.Generation);
        Assert.True(catalog.Generation > previous.Catalog.Generation);
    }

    private sealed class OffsetClock(TimeSpan offset) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + offset;
    }

    private static DesiredState Convert(string yaml) => IngressConverter.Convert(KubernetesYamlReader.Read("test.yaml", yaml).Objects);
}
