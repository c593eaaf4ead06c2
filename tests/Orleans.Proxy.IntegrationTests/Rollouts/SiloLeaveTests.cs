using System.Collections.Concurrent;
using System.Net;
using Orleans.Proxy.IntegrationTests.Infrastructure;
using Orleans.Proxy.IntegrationTests.Kubernetes.FakeApiServer;
using Xunit.Abstractions;

using Orleans.Proxy.Testing;

namespace Orleans.Proxy.IntegrationTests.Rollouts;

/// <summary>
/// A silo rolled away under load: two silo processes cluster through the (fake) Kubernetes API as pods do,
/// an edge serves a route with a shared rate limit and affinity per user, and one silo gets SIGTERM.
/// </summary>
[Collection(SeparateProcessesCollection.Name)]
public sealed class SiloLeaveTests(ITestOutputHelper output)
{
    private const string ClusterId = "rollout-test";
    private const string ServiceId = "orleans-proxy";
    private const string Host = "app.test";

    [Fact]
    public async Task Sigterm_OneOfTwoSilosUnderLoad_WithRateLimitsAndAffinity_NoRequestFails()
    {
        await using var server = await FakeKubernetesApiServer.StartAsync();
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        using var routes = new TempDirectory();
        var annotations = new Dictionary<string, string>
        {
            ["orleans-proxy.io/affinity"] = "header:X-User",
            // A limit per user far above what one machine can send (a test alone sends over 1,000 per second
            // per user): each user's bucket is a grain, spread over both silos, leasing tokens to the edge.
            ["orleans-proxy.io/rate-limit-rps"] = "1000000",
            ["orleans-proxy.io/rate-limit-key"] = "header:X-User",
        };
        routes.Write("app.yaml", Manifests.ServiceFor("app", a, b) + "---\n" + Manifests.IngressWithAnnotations("app", Host, annotations, ("/", "Prefix", "app")));
        // Kubernetes clustering runs with mutual TLS, as deployed (a CA made in the test).
        using var tls = new TempDirectory();
        using var ca = Security.TestCa.Create("cluster CA");
        var siloTls = Path.Combine(tls.Path, "silo");
        var edgeTls = Path.Combine(tls.Path, "edge");
        ca.IssueInto(siloTls, "silo", server: true);
        ca.IssueInto(edgeTls, "edge", server: false);
        var cluster = new KubernetesSiloProcesses(server, ClusterId, ServiceId);
        var pods = new[] { "silo-0", "silo-1" };
        foreach (var pod in pods)
        {
            cluster.AddPod(pod);
        }

        await using var silo0 = cluster.Start(pods[0], routes.Path, routes.Path, siloTls);
        await using var silo1 = cluster.Start(pods[1], routes.Path, routes.Path, siloTls);
        var silos = new[] { silo0, silo1 };
        await Until(() => Task.FromResult(cluster.Rows().Count(r => r.Status == SiloStatus.Active) == 2), "both silos are Active", silos);
        await using var edge = await TestEdge.StartClientAsync(new Dictionary<string, string?>
        {
            ["Cluster:Clustering"] = "Kubernetes",
            ["Cluster:ClusterId"] = ClusterId,
            ["Cluster:ServiceId"] = ServiceId,
            ["Cluster:Kubernetes:ApiServer"] = server.Url,
            ["Cluster:Kubernetes:Namespace"] = KubernetesSiloProcesses.Namespace,
            ["Cluster:Tls:Directory"] = edgeTls,
        });
        await Until(async () => (await edge.GetAsync(Host, "/", ("X-User", "warm-up"))).StatusCode == HttpStatusCode.OK, "the edge serves the route", silos);

        // Load: 8 users, each with its affinity key and its rate-limit partition, requests back to back.
        var results = new ConcurrentBag<(bool BeforeSigterm, string Outcome)>();
        var sigtermSent = false;
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var before = !Volatile.Read(ref sigtermSent);
                try
                {
                    using var response = await edge.GetAsync(Host, "/", ("X-User", $"user-{i}"));
                    results.Add((before, response.StatusCode == HttpStatusCode.OK ? "ok" : $"{(int)response.StatusCode}"));
                }
                catch (HttpRequestException e)
                {
                    results.Add((before, e.Message));
                }
            }
        })).ToList();
        await Until(() => Task.FromResult(results.Count >= 200), "requests are flowing", silos);

        Volatile.Write(ref sigtermSent, true);
        silo1.Terminate();
        // A graceful leave: the silo hands its grains over, leaves the membership, and exits by itself.
        Assert.Equal(0, await silo1.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        await Until(() => Task.FromResult(cluster.Rows().Any(r => r.SiloName == pods[1] && r.Status == SiloStatus.Dead)), "silo-1 left the membership", silos);
        // Load goes on against the remaining silo: its grains (re)activate there.
        var afterLeave = results.Count;
        await Until(() => Task.FromResult(results.Count >= afterLeave + 200), "requests flow after the leave", silos);
        await stop.CancelAsync();
        await Task.WhenAll(workers);

        var outcomes = results.ToList();
        output.WriteLine($"{outcomes.Count(r => r.BeforeSigterm)} requests before SIGTERM, {outcomes.Count(r => !r.BeforeSigterm)} after; failures: {outcomes.Count(r => r.Outcome != "ok")}");
        Assert.Empty(outcomes.Where(r => r.Outcome != "ok").Select(r => r.Outcome).Distinct());
    }

    private static async Task Until(Func<Task<bool>> condition, string what, HostProcess[] silos)
    {
        try
        {
            await Eventually.Until(condition, what, TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\n--- silo-0 ---\n{silos[0].Output}\n--- silo-1 ---\n{silos[1].Output}", e);
        }
    }
}
