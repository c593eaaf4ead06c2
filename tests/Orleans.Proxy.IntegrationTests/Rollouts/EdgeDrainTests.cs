using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Orleans.Proxy.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

using Orleans.Proxy.Testing;

namespace Orleans.Proxy.IntegrationTests.Rollouts;

/// <summary>
/// An edge process (the build output's Orleans.Proxy.Edge.dll, as its image starts it) stopped as
/// Kubernetes stops a pod, with SIGTERM, in the middle of slow requests.
/// </summary>
[Collection(SeparateProcessesCollection.Name)]
public sealed class EdgeDrainTests(ITestOutputHelper output)
{
    private const string Host = "slow.test";
    private const string Token = "drain-test-token";

    [Fact]
    public async Task Sigterm_ReadinessTurns503_NewConnectionsServedDuringTheDrain_InFlightFinish_NothingFails()
    {
        await using var backend = await TestBackend.StartAsync("slow");
        using var routes = new TempDirectory();
        routes.Write("slow.yaml", Manifests.ServiceFor("slow", backend) + "---\n" + Manifests.Ingress("slow", Host, ("/", "Prefix", "slow")));
        await using var silo = await TestSilo.StartAsync(routes.Path);
        var (port, diagnosticsPort, metricsPort) = (FreePorts.Next(), FreePorts.Next(), FreePorts.Next());
        await using var edge = HostProcess.Start(Path.Combine(AppContext.BaseDirectory, "Orleans.Proxy.Edge.dll"), routes.Path, new Dictionary<string, string>
        {
            ["Edge__Address"] = "127.0.0.1",
            ["Edge__Port"] = $"{port}",
            ["Edge__PollInterval"] = "00:00:01",
            // Short for the test; each request below takes a second, so the drain spans several of them.
            ["Edge__DrainPeriod"] = "00:00:08",
            ["Cluster__GatewayPort"] = $"{silo.GatewayPort}",
            ["Diagnostics__Address"] = "127.0.0.1",
            ["Diagnostics__Port"] = $"{diagnosticsPort}",
            ["Diagnostics__MetricsPort"] = $"{metricsPort}",
            ["Diagnostics__Token"] = Token,
            ["Logging__Console__FormatterName"] = "json",
        });
        using var diagnostics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{diagnosticsPort}") };
        diagnostics.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        await Until(async () => (await TryGetAsync(diagnostics, "/health/ready")) == HttpStatusCode.OK, "the edge process is ready", edge);
        await Until(async () => (await SlowRequestAsync(NewClient(port), delayMs: 0)) == HttpStatusCode.OK, "the edge serves the route", edge);

        // What an operator sees: the version in the diagnostics, JSON log lines, /metrics without the token on its own port.
        var about = JsonDocument.Parse(await diagnostics.GetStringAsync("/diag/edge")).RootElement;
        Assert.StartsWith("0.2.0", about.GetProperty("version").GetString());
        using (var metrics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metricsPort}") })
        {
            using var scrape = await metrics.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
            Assert.Contains("# TYPE ", await scrape.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.NotFound, (await metrics.GetAsync("/diag/edge")).StatusCode);
        }

        var started = JsonLines(edge.Output).First(l => Message(l).Contains(" starting", StringComparison.Ordinal));
        Assert.Equal("orleans-proxy-edge", started.GetProperty("State").GetProperty("Service").GetString());
        Assert.StartsWith("0.2.0", started.GetProperty("State").GetProperty("Version").GetString());

        // A loop of slow requests (a second each) on keep-alive connections.
        var results = new ConcurrentBag<(bool BeforeSigterm, string Outcome)>();
        var sigtermSent = false;
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            using var client = NewClient(port);
            while (!stop.IsCancellationRequested)
            {
                var before = !Volatile.Read(ref sigtermSent);
                try
                {
                    var status = await SlowRequestAsync(client, delayMs: 1000);
                    results.Add((before, status == HttpStatusCode.OK ? "ok" : $"{(int)status}"));
                }
                catch (HttpRequestException e)
                {
                    results.Add((before, e.Message));
                }
            }
        })).ToList();
        await Until(() => Task.FromResult(backend.RequestsTo("/") >= 6), "slow requests are flowing", edge);

        Volatile.Write(ref sigtermSent, true);
        edge.Terminate();

        // At once: not ready, so load balancers take the edge out...
        await Until(async () => (await TryGetAsync(diagnostics, "/health/ready")) == HttpStatusCode.ServiceUnavailable, "readiness turns 503", edge);
        // ...while a client that did not notice yet still gets served, on a new connection.
        Assert.Equal(HttpStatusCode.OK, await SlowRequestAsync(NewClient(port), delayMs: 1000));
        await stop.CancelAsync();
        await Task.WhenAll(workers);

        Assert.Equal(0, await edge.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var outcomes = results.ToList();
        output.WriteLine($"{outcomes.Count(r => r.BeforeSigterm)} requests started before SIGTERM, {outcomes.Count(r => !r.BeforeSigterm)} during the drain");
        Assert.DoesNotContain(outcomes, r => r.Outcome != "ok");
        Assert.Contains(outcomes, r => r.BeforeSigterm);
        Assert.Contains(outcomes, r => !r.BeforeSigterm);
        Assert.Contains(JsonLines(edge.Output), l => Message(l).StartsWith("Drain period over", StringComparison.Ordinal));
    }

    private static HttpClient NewClient(int port) => new(new SocketsHttpHandler()) { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

    private static async Task<HttpStatusCode> SlowRequestAsync(HttpClient client, int delayMs)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/?delay-ms={delayMs}");
        request.Headers.Host = Host;
        using var response = await client.SendAsync(request);
        await response.Content.ReadAsStringAsync();
        return response.StatusCode;
    }

    private static async Task<HttpStatusCode?> TryGetAsync(HttpClient client, string path)
    {
        try
        {
            using var response = await client.GetAsync(path);
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private static string Message(JsonElement line) => line.TryGetProperty("Message", out var message) ? message.GetString() ?? "" : "";

    /// <summary>The log lines that are JSON objects (the JSON console formatter writes one per line).</summary>
    private static List<JsonElement> JsonLines(string text) =>
        [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => l.StartsWith('{'))
            .Select(l => JsonDocument.Parse(l).RootElement.Clone())];

    private static async Task Until(Func<Task<bool>> condition, string what, HostProcess process)
    {
        try
        {
            await Eventually.Until(condition, what, TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\n--- edge ---\n{process.Output}", e);
        }
    }
}
