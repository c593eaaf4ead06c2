using System.Text.Json;
using Orleans.Proxy.Routing;
using Orleans.Proxy.IntegrationTests.Infrastructure;

namespace Orleans.Proxy.IntegrationTests.Operations;

/// <summary>An edge behind the catalog, as the cluster view and the lag metric show it.</summary>
[Collection(MetricsCollection.Name)]
public sealed class EdgeLagTests
{
    [Fact]
    public async Task ClusterView_EdgeBehind_ReportsGenerationsBehindLagAndMetric()
    {
        using var routes = new TempDirectory();
        await using var silo = await TestSilo.StartAsync(routes.Path);
        var catalog = silo.Grains.GetGrain<IRouteCatalogGrain>(IRouteCatalogGrain.DefaultKey);
        await Eventually.Until(async () => (await catalog.GetSnapshot()).Generation > 0, "the route source published");
        var start = (await catalog.GetSnapshot()).Generation;
        var observer = silo.Grains.CreateObjectReference<IRouteCatalogObserver>(new IgnoringObserver());

        // An edge that applied the current generation, then two publications it does not apply.
        await catalog.Subscribe("stuck-edge", start, observer);
        await catalog.Publish(CatalogSnapshot.Empty with { Generation = start + 1 });
        await catalog.Publish(CatalogSnapshot.Empty with { Generation = start + 2 });

        var edges = await silo.DiagAsync("/diag/cluster/edges");
        Assert.Equal(start + 2, edges.GetProperty("generation").GetInt64());
        var stuck = edges.GetProperty("edges").EnumerateArray().Single(e => e.GetProperty("edgeId").GetString() == "stuck-edge");
        Assert.False(stuck.GetProperty("upToDate").GetBoolean());
        Assert.Equal(2, stuck.GetProperty("generationsBehind").GetInt32());
        Assert.Equal(start, stuck.GetProperty("appliedGeneration").GetInt64());
        Assert.Equal(JsonValueKind.String, stuck.GetProperty("behindSince").ValueKind);

        var metrics = await silo.Diagnostics.GetStringAsync("/metrics");
        Assert.Equal(2, PrometheusText.Value(metrics, "orleans_proxy_config_lag", ("edge", "stuck-edge")));

        // It catches up, and reports so as edges do after each change: the answer is the catalog's generation alone.
        Assert.Equal(start + 2, await catalog.ReportServed("stuck-edge", start + 2, observer));
        stuck = (await silo.DiagAsync("/diag/cluster/edges")).GetProperty("edges").EnumerateArray().Single(e => e.GetProperty("edgeId").GetString() == "stuck-edge");
        Assert.True(stuck.GetProperty("upToDate").GetBoolean());
        Assert.Equal(0, stuck.GetProperty("generationsBehind").GetInt32());
        Assert.Equal(0, PrometheusText.Value(await silo.Diagnostics.GetStringAsync("/metrics"), "orleans_proxy_config_lag", ("edge", "stuck-edge")));
    }

    private sealed class IgnoringObserver : IRouteCatalogObserver
    {
        public void OnCatalogChanged(CatalogDelta delta)
        {
        }
    }
}
