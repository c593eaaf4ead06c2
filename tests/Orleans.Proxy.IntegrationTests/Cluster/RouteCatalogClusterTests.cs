using System.Collections.Immutable;
using Orleans.Proxy.Routing;
using Orleans.Proxy.IntegrationTests.Infrastructure;

using Orleans.Proxy.Testing;

namespace Orleans.Proxy.IntegrationTests.Cluster;

/// <summary>Two silos (TestingHost), the route publisher, and real edges connected as clients.</summary>
public sealed class RouteCatalogClusterTests
{
    [Fact]
    public async Task Publish_RoutesAndChanges_ReachConnectedEdgesWithoutRestart()
    {
        await using var one = await TestBackend.StartAsync("one");
        await using var two = await TestBackend.StartAsync("two");
        await using var cluster = await ProxyTestCluster.StartAsync();
        var edgeA = await cluster.StartEdgeAsync();
        var edgeB = await cluster.StartEdgeAsync();
        var services = Manifests.ServiceFor("one", one) + "---\n" + Manifests.ServiceFor("two", two) + "---\n";

        await cluster.PublishAsync(services + Manifests.Ingress("app", "app.test", ("/", "Prefix", "one")));
        await edgeA.WaitForBackendAsync("app.test", "/", "one");
        await edgeB.WaitForBackendAsync("app.test", "/", "one");

        await cluster.PublishAsync(services + Manifests.Ingress("app", "app.test", ("/", "Prefix", "one"), ("/two", "Prefix", "two")));
        await edgeA.WaitForBackendAsync("app.test", "/two", "two");
        await edgeB.WaitForBackendAsync("app.test", "/two", "two");
        Assert.StartsWith("200 one ", await edgeA.GetBodyAsync("app.test", "/"));
    }

    [Fact]
    public async Task KillSilo_HoldingHostGrain_EdgeServesThroughoutAndResyncRestoresSameTable()
    {
        await using var web = await TestBackend.StartAsync("web");
        await using var cluster = await ProxyTestCluster.StartAsync();
        var edge = await cluster.StartEdgeAsync();
        await cluster.PublishAsync(Manifests.ServiceFor("web", web) + "---\n" + Manifests.Ingress("app", "app.test", ("/", "Prefix", "web")));
        await edge.WaitForBackendAsync("app.test", "/", "web");
        var tableBefore = (await edge.DiagAsync("/diag/hosts/app.test")).GetRawText();
        var generationBefore = (await edge.DiagAsync("/diag/edge")).GetProperty("generation").GetInt64();

        var hostGrain = cluster.Client.GetGrain<IHostRouteGrain>("app.test");
        var victim = await cluster.SiloHostingAsync(hostGrain);
        await cluster.Cluster.KillSiloAsync(victim);

        // Fail static: the edge serves from its cache while the grain is gone.
        Assert.StartsWith("200 web ", await edge.GetBodyAsync("app.test", "/"));

        // The route source's resync rewrites what was lost, at the same versions.
        await Eventually.Until(async () =>
        {
            await cluster.Publisher.PublishAsync(Converted(Manifests.ServiceFor("web", web) + "---\n" + Manifests.Ingress("app", "app.test", ("/", "Prefix", "web"))), rewriteAll: true, CancellationToken.None);
            return (await hostGrain.GetRoutes()).Routes.Length == 1;
        }, "the host grain is rewritten on the surviving silo");

        Assert.StartsWith("200 web ", await edge.GetBodyAsync("app.test", "/"));
        Assert.Equal(tableBefore, (await edge.DiagAsync("/diag/hosts/app.test")).GetRawText());
        Assert.Equal(generationBefore, (await edge.DiagAsync("/diag/edge")).GetProperty("generation").GetInt64());
    }

    [Fact]
    public async Task CatalogLost_ReactivatedEmpty_EdgeKeepsServingLastTable()
    {
        await using var web = await TestBackend.StartAsync("web");
        await using var cluster = await ProxyTestCluster.StartAsync(silos: 1);
        var edge = await cluster.StartEdgeAsync();
        await cluster.PublishAsync(Manifests.ServiceFor("web", web) + "---\n" + Manifests.Ingress("app", "app.test", ("/", "Prefix", "web")));
        await edge.WaitForBackendAsync("app.test", "/", "web");

        var catalog = cluster.Client.GetGrain<IRouteCatalogGrain>(IRouteCatalogGrain.DefaultKey);
        await cluster.Cluster.DeactivateAsync(catalog);
        Assert.Equal(0, (await catalog.GetSnapshot()).Generation);
        // Let the edge poll the empty catalog at least twice (poll interval is one second in tests).
        await Task.Delay(TimeSpan.FromSeconds(2.5));

        Assert.StartsWith("200 web ", await edge.GetBodyAsync("app.test", "/"));
        Assert.Equal(1, (await edge.DiagAsync("/diag/edge")).GetProperty("hosts").GetInt32());
    }

    [Fact]
    public async Task Grains_OlderVersion_NeverOverwritesNewer()
    {
        await using var cluster = await ProxyTestCluster.StartAsync(silos: 1);
        var host = cluster.SiloGrains.GetGrain<IHostRouteGrain>("versions.test");
        var route = new RouteSpec("t/a#0.0", "versions.test", "/", PathMatchKind.Prefix, [], [], "t/a:80", "Ingress t/a");

        Assert.True((await host.SetRoutes(new HostRoutes("versions.test", 20, [route]))).Stored);
        Assert.False((await host.SetRoutes(new HostRoutes("versions.test", 10, []))).Stored);
        Assert.False((await host.SetRoutes(new HostRoutes("versions.test", 20, []))).Stored);
        Assert.Single((await host.GetRoutes()).Routes);

        var backend = cluster.SiloGrains.GetGrain<IBackendGrain>("t/a:80");
        Assert.True((await backend.SetBackend(new BackendSpec("t/a:80", 5, [new DestinationSpec("d", "http://127.0.0.1:1")]))).Stored);
        Assert.False((await backend.SetBackend(new BackendSpec("t/a:80", 4, []))).Stored);
        Assert.Single((await backend.GetBackend()).Destinations);

        var catalog = cluster.SiloGrains.GetGrain<IRouteCatalogGrain>("versions");
        Assert.True((await catalog.Publish(CatalogSnapshot.Empty with { Generation = 7 })).Stored);
        Assert.False((await catalog.Publish(CatalogSnapshot.Empty with { Generation = 6 })).Stored);
        Assert.Equal(7, (await catalog.GetSnapshot()).Generation);
    }

    [Fact]
    public async Task PublishDelta_FromTheHeldGeneration_LeadsToTheWholeCatalog_FromAnotherRefused()
    {
        await using var cluster = await ProxyTestCluster.StartAsync(silos: 1);
        var catalog = cluster.SiloGrains.GetGrain<IRouteCatalogGrain>("deltas");
        var first = new CatalogSnapshot(7, Versions(("a.test", 7), ("b.test", 7)), Versions(("t/a:80", 7), ("t/b:80", 7)), []);
        var second = new CatalogSnapshot(9, Versions(("a.test", 9), ("c.test", 9)), Versions(("t/a:80", 7), ("t/c:80", 9)), []);
        Assert.True((await catalog.Publish(first)).Stored);

        Assert.Equal(new VersionedWrite(false, 7), await catalog.PublishDelta(CatalogDelta.Between(first with { Generation = 6 }, second)));
        Assert.Equal(new VersionedWrite(true, 9), await catalog.PublishDelta(CatalogDelta.Between(first, second)));

        var held = await catalog.GetSnapshot();
        Assert.Equal(9, held.Generation);
        Assert.Equal(second.Hosts.OrderBy(h => h.Key, StringComparer.Ordinal), held.Hosts.OrderBy(h => h.Key, StringComparer.Ordinal));
        Assert.Equal(second.Backends.OrderBy(b => b.Key, StringComparer.Ordinal), held.Backends.OrderBy(b => b.Key, StringComparer.Ordinal));
    }

    private static ImmutableDictionary<string, long> Versions(params (string Key, long Version)[] entries) =>
        entries.ToImmutableDictionary(e => e.Key, e => e.Version, StringComparer.Ordinal);

    private static Translation.Ingress.DesiredState Converted(string yaml) =>
        Translation.Ingress.IngressConverter.Convert(Translation.Files.KubernetesYamlReader.Read("test.yaml", yaml).Objects);
}
