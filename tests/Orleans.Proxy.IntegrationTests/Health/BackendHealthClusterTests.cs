using Orleans.Proxy.Health;
using Orleans.Proxy.IntegrationTests.Infrastructure;
using Xunit.Abstractions;
using static Orleans.Proxy.IntegrationTests.Health.HealthTestSetup;

namespace Orleans.Proxy.IntegrationTests.Health;

/// <summary>One prober per backend and one verdict for every edge, with real backends and edges on loopback.</summary>
public sealed class BackendHealthClusterTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Probes_OneEdgeThenFourEdges_BackendSeesSameProbeCountPerInterval()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var cluster = await ProxyTestCluster.StartAsync(silos: 1);
        var first = await cluster.StartEdgeAsync();
        await cluster.PublishAsync(Routes(FastProbes(), a, b));
        await first.WaitForBackendAsync(AppHost, "/", "a");

        var grain = cluster.Client.GetGrain<IBackendHealthGrain>(ClusterId);
        var withOne = await ProbesPerRoundAsync(grain, a, b);
        var others = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => cluster.StartEdgeAsync()));
        await Eventually.Until(async () => (await grain.GetHealthReport()).Subscribers == 4, "all four edges subscribe to the verdict");
        var withFour = await ProbesPerRoundAsync(grain, a, b);
        // One prober: one request per destination per interval, whatever the edge count.
        output.WriteLine($"1 edge: {withOne}; 4 edges: {withFour}");
        var diag = await others[0].DiagAsync($"/diag/backends/{ClusterId}");
        var destination = diag.GetProperty("destinations")[0];
        Assert.Equal("Healthy", destination.GetProperty("active").GetString());
        Assert.Contains(destination.GetProperty("recentProbes").EnumerateArray(), p => p.GetProperty("outcome").GetString() == "200");
    }

    [Fact]
    public async Task SickBackend_ProbesFail_EveryEdgeStopsSendingItTraffic()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var cluster = await ProxyTestCluster.StartAsync(silos: 1);
        var edges = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => cluster.StartEdgeAsync()));
        await cluster.PublishAsync(Routes(FastProbes(), a, b));
        foreach (var edge in edges)
        {
            await edge.WaitForBackendAsync(AppHost, "/", "b");
        }

        var probesWhenSick = b.RequestsTo(ProbePath);
        b.Sick = true;
        foreach (var edge in edges)
        {
            await Eventually.Until(async () => (await UnavailableOnAsync(edge)).Contains(b.Endpoint), "every edge holds the verdict that b is down");
        }

        // The probes decided it (the unhealthy threshold is 2): the test sent no request to b meanwhile.
        Assert.True(b.RequestsTo(ProbePath) - probesWhenSick >= 2);
        var trafficAfterVerdict = b.RequestsExcept(ProbePath);
        foreach (var edge in edges)
        {
            for (var i = 0; i < 20; i++)
            {
                Assert.Equal("a", await BackendFor(edge));
            }
        }

        Assert.Equal(trafficAfterVerdict, b.RequestsExcept(ProbePath));

        // It comes back for everyone once its probes pass again.
        b.Sick = false;
        foreach (var edge in edges)
        {
            await Eventually.Until(async () => (await UnavailableOnAsync(edge)).Count == 0, "every edge puts b back");
            await edge.WaitForBackendAsync(AppHost, "/", "b");
        }
    }

    [Fact]
    public async Task PassiveFailures_SpreadOverEdges_EjectDestinationOnEveryEdge()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var cluster = await ProxyTestCluster.StartAsync(silos: 1);
        var fastReports = new Dictionary<string, string?> { ["Health:ReportInterval"] = "00:00:00.200" };
        var edges = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => cluster.StartEdgeAsync(fastReports)));
        var annotations = new Dictionary<string, string>
        {
            ["orleans-proxy.io/passive-health-5xx"] = "true",
            ["orleans-proxy.io/passive-health-failure-rate"] = "0.5",
            // Each edge alone stays below this; only the cluster-wide count crosses it.
            ["orleans-proxy.io/passive-health-min-requests"] = "9",
            ["orleans-proxy.io/passive-health-reactivation-period"] = "1h",
        };
        await cluster.PublishAsync(Routes(annotations, a, b));
        foreach (var edge in edges)
        {
            await edge.WaitForBackendAsync(AppHost, "/", "a");
        }

        b.Sick = true;
        // Round robin: each edge sends b 3 of its 6 requests, all 503; 9 failures only when added up.
        foreach (var edge in edges)
        {
            for (var i = 0; i < 6; i++)
            {
                using var _ = await edge.GetAsync(AppHost, "/");
            }
        }

        foreach (var edge in edges)
        {
            await Eventually.Until(async () => (await UnavailableOnAsync(edge)).Contains(b.Endpoint), "every edge holds the ejection of b");
        }

        var trafficAfterVerdict = b.Requests;
        foreach (var edge in edges)
        {
            for (var i = 0; i < 10; i++)
            {
                Assert.Equal("a", await BackendFor(edge));
            }
        }

        Assert.Equal(trafficAfterVerdict, b.Requests);
        var diag = await edges[0].DiagAsync($"/diag/backends/{ClusterId}");
        var sick = diag.GetProperty("destinations").EnumerateArray().Single(d => d.GetProperty("id").GetString() == b.Endpoint);
        Assert.False(sick.GetProperty("available").GetBoolean());
        Assert.NotEqual(System.Text.Json.JsonValueKind.Null, sick.GetProperty("ejectedUntil").ValueKind);
    }

    /// <summary>
    /// Probe requests per destination per probe round of the grain, over at least five rounds. The
    /// reading is taken when no round is in flight: then, with one prober, each backend has seen
    /// exactly one request per round; any other prober would keep the counts above the rounds.
    /// </summary>
    private static async Task<string> ProbesPerRoundAsync(IBackendHealthGrain grain, TestBackend a, TestBackend b)
    {
        var start = (await grain.GetHealthReport()).ProbeRounds;
        var (a0, b0) = (a.RequestsTo(ProbePath), b.RequestsTo(ProbePath));
        var seen = "";
        await Eventually.Until(async () =>
        {
            var rounds = (await grain.GetHealthReport()).ProbeRounds - start;
            var (da, db) = (a.RequestsTo(ProbePath) - a0, b.RequestsTo(ProbePath) - b0);
            seen = $"{da} and {db} probe requests in {rounds} rounds";
            return rounds >= 5 && da == rounds && db == rounds;
        }, "each destination has received exactly one probe request per probe round", TimeSpan.FromSeconds(15));
        return seen;
    }
}
