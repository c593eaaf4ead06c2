using Orleans.Proxy.IntegrationTests.Infrastructure;
using static Orleans.Proxy.IntegrationTests.Health.HealthTestSetup;

using Orleans.Proxy.Testing;

namespace Orleans.Proxy.IntegrationTests.Operations;

/// <summary>The cluster view shows what the health and rate-limit grains hold.</summary>
public sealed class GrainStateDiagnosticsTests
{
    [Fact]
    public async Task ClusterView_HealthAndRateLimitGrains_ShownPerDestinationAndPerEdge()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var cluster = await ProxyTestCluster.StartAsync(silos: 1);
        var edge = await cluster.StartEdgeAsync();
        var annotations = FastProbes();
        annotations["orleans-proxy.io/rate-limit-rps"] = "1000";
        annotations["orleans-proxy.io/rate-limit-burst"] = "10";
        annotations["orleans-proxy.io/affinity"] = "header:X-User";
        await cluster.PublishAsync(Routes(annotations, a));
        await edge.WaitForBackendAsync(AppHost, "/", "a");

        await Eventually.Until(async () =>
        {
            var backend = await edge.DiagAsync($"/diag/cluster/backends/{ClusterId}");
            var health = backend.GetProperty("sections").GetProperty("health");
            return health.GetArrayLength() == 1
                && health[0].GetProperty("destination").GetString() == a.Endpoint
                && health[0].GetProperty("available").GetBoolean()
                && health[0].GetProperty("lastProbe").GetString()!.StartsWith("200 ", StringComparison.Ordinal);
        }, "the cluster view shows the probe verdict of the backend's grain");

        // A new partition decides on its allowance (the burst, for one edge) and calls its bucket once
        // it has spent half of it.
        for (var i = 0; i < 5; i++)
        {
            Assert.StartsWith("200 a ", await edge.GetBodyAsync(AppHost, "/"));
        }

        var rows = default(System.Text.Json.JsonElement);
        await Eventually.Until(async () =>
        {
            rows = await edge.DiagAsync($"/diag/cluster/views/ratelimits?policy={Manifests.Namespace}/web/rate-limit&partition=127.0.0.1");
            return rows[0].TryGetProperty("edge", out _);
        }, "the edge took a lease from the bucket");
        Assert.Equal(1, rows.GetArrayLength());
        Assert.Equal(edge.Id, rows[0].GetProperty("edge").GetString());
        Assert.Equal(10, rows[0].GetProperty("capacity").GetInt32());
        Assert.True(rows[0].GetProperty("held").GetInt32() >= 0);

        var unknown = await edge.DiagAsync($"/diag/cluster/views/affinity?cluster={ClusterId}&key=bob");
        Assert.Equal(System.Text.Json.JsonValueKind.Null, unknown[0].GetProperty("pinned").ValueKind);
        Assert.StartsWith("200 a ", await edge.GetBodyAsync(AppHost, "/", ("X-User", "alice")));
        await Eventually.Until(async () =>
            (await edge.DiagAsync($"/diag/cluster/views/affinity?cluster={ClusterId}&key=alice"))[0].GetProperty("pinned").GetString() == a.Endpoint,
            "the cluster view shows where the key is pinned");
    }
}
