using System.Text.Json;
using Orleans.Proxy.IntegrationTests.Infrastructure;

using Orleans.Proxy.Testing;

namespace Orleans.Proxy.IntegrationTests.Benchmarks;

/// <summary>/diag/grain-calls, which the benchmark reads to show the hot-path rule holds.</summary>
public sealed class GrainCallCounterTests
{
    [Fact]
    public async Task GrainCalls_ProxiedRequestsInSteadyState_CountNoCall()
    {
        await using var web = await TestBackend.StartAsync("web");
        using var routes = new TempDirectory();
        routes.Write("all.yaml", Manifests.ServiceFor("web", web) + "---\n" + Manifests.Ingress("web", "web.test", ("/", "Prefix", "web")));
        // No poll and no resync during the test: any call counted below would come from a request.
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path, new Dictionary<string, string?>
        {
            ["Edge:PollInterval"] = "00:10:00",
            ["Routes:ResyncInterval"] = "00:10:00",
        });
        await edge.WaitForBackendAsync("web.test", "/", "web");
        // The certificate sync reads the default certificate once per new table, on its own timer: the count starts after that.
        await Eventually.Until(async () => (await CallsAsync(edge)).GetValueOrDefault("ITlsCertificateGrain.GetCertificate") >= 1, "the certificate sync has read the new table's default certificate");
        var before = await CallsAsync(edge);

        for (var i = 0; i < 50; i++)
        {
            Assert.StartsWith("200 web ", await edge.GetBodyAsync("web.test", $"/{i}"));
        }

        var after = await CallsAsync(edge);
        Assert.True(before.GetValueOrDefault("IRouteCatalogGrain.Subscribe") >= 1, $"the edge's subscription is counted: {string.Join(", ", before)}");
        var made = after.Where(a => before.GetValueOrDefault(a.Key) != a.Value).Select(a => $"{a.Key} {before.GetValueOrDefault(a.Key)} -> {a.Value}").ToList();
        Assert.True(made.Count == 0 && after.Count == before.Count, $"grain calls while serving: {string.Join(", ", made)}");
    }

    // The cache's purge long-poll is a background loop like the poll and the resync, but it cannot be
    // switched off (at most Caching:PurgePollWait, 30 s, between calls): it is left out of the count.
    private static async Task<Dictionary<string, long>> CallsAsync(TestEdge edge) =>
        (await edge.DiagAsync("/diag/grain-calls")).EnumerateObject()
            .Where(p => p.Name != "ICachePurgeGrain.WaitForPurges")
            .ToDictionary(p => p.Name, p => p.Value.GetInt64());
}
