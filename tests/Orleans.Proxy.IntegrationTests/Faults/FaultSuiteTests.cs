using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Orleans.Proxy.IntegrationTests.Infrastructure;
using Orleans.Proxy.IntegrationTests.Kubernetes.FakeApiServer;
using Orleans.Proxy.Testing;
using Xunit.Abstractions;

namespace Orleans.Proxy.IntegrationTests.Faults;

/// <summary>Runs only when ORLEANS_PROXY_FAULTS=1 (bench/faults/run sets it): the drill takes minutes and loads the machine.</summary>
public sealed class FaultsFactAttribute : FactAttribute
{
    public FaultsFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("ORLEANS_PROXY_FAULTS") != "1")
        {
            Skip = "the fault drill runs with bench/faults/run (ORLEANS_PROXY_FAULTS=1)";
        }
    }
}

/// <summary>
/// The fault drill (docs/reliability.md): three silos and three client edges as separate processes on
/// loopback, clustered through the fake Kubernetes API with mutual TLS, steady load through every edge
/// on a route with cookie-less affinity (header) and active health checks, and on a route with a shared
/// rate limit. Events, one after another: the silo holding the rate-limit bucket is SIGKILLed and
/// started again; an edge is SIGKILLed; an edge is cut off from the silos (a TCP relay between it and its
/// gateway is stopped) and restored; a backend destination fails and recovers; every silo is SIGKILLed
/// for a while and started again. Each event's window is measured and checked: failed requests (0 but on
/// the edge that was killed, and during the backend failure, which is reported), admitted against the
/// documented rate-limit bound, sessions whose destination moved though it stayed healthy (0), time until
/// every edge serves the same generation again, and each process's peak RSS.
/// </summary>
[Collection(SeparateProcessesCollection.Name)]
public sealed class FaultSuiteTests(ITestOutputHelper output)
{
    private const string App = "app.test";
    private const string Limited = "limited.test";
    private const int Rate = 50;
    private const int Burst = 50;
    private static readonly TimeSpan LeaseLength = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(5);

    private readonly ConcurrentQueue<Sample> _samples = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly StringBuilder _report = new();
    private readonly StringBuilder _timeline = new();
    private readonly ConcurrentBag<(string Name, HostProcess Process)> _processes = [];

    [FaultsFact]
    public async Task Faults_SilosEdgesNetworkAndBackendFailUnderLoad_NoFailuresBoundHeldAffinityKept()
    {
        var outage = TimeSpan.FromSeconds(int.TryParse(Environment.GetEnvironmentVariable("FAULTS_OUTAGE_SECONDS"), CultureInfo.InvariantCulture, out var s) ? s : 60);
        await using var server = await FakeKubernetesApiServer.StartAsync();
        var backends = new[] { await TestBackend.StartAsync("a"), await TestBackend.StartAsync("b"), await TestBackend.StartAsync("c") };
        using var work = new TempDirectory();
        var routes = Path.Combine(work.Path, "routes");
        Directory.CreateDirectory(routes);
        File.WriteAllText(Path.Combine(routes, "app.yaml"), Manifests.ServiceFor("app", backends[0], backends[1], backends[2]) + "---\n"
            + Manifests.IngressWithAnnotations("app", App, new Dictionary<string, string>
            {
                ["orleans-proxy.io/affinity"] = "header:X-User",
                ["orleans-proxy.io/health-check-path"] = "/healthz",
                ["orleans-proxy.io/health-check-interval"] = "1s",
                ["orleans-proxy.io/health-check-unhealthy-threshold"] = "2",
            }, ("/", "Prefix", "app")) + "---\n"
            + Manifests.IngressWithAnnotations("limited", Limited, new Dictionary<string, string>
            {
                ["orleans-proxy.io/rate-limit-rps"] = $"{Rate}",
                ["orleans-proxy.io/rate-limit-burst"] = $"{Burst}",
                ["orleans-proxy.io/rate-limit-key"] = "host",
            }, ("/", "Prefix", "app")));
        using var ca = Security.TestCa.Create("cluster CA");
        var siloTls = Path.Combine(work.Path, "silo-tls");
        var edgeTls = Path.Combine(work.Path, "edge-tls");
        ca.IssueInto(siloTls, "silo", server: true);
        ca.IssueInto(edgeTls, "edge", server: false);

        var cluster = new KubernetesSiloProcesses(server, "fault-drill");
        var siloPorts = Enumerable.Range(0, 3).Select(_ => (Silo: FreePorts.Next(), Gateway: FreePorts.Next())).ToArray();

        // silo-2 advertises 127.0.0.1 but listens on 127.0.0.2, behind two relays on its advertised ports:
        // cutting the gateway relay cuts edge-2 (whose one gateway it is) off the cluster, while the other
        // silos (through the silo relay, never cut) and edges (through the other two gateways) go on.
        const int Relayed = 2;
        var behind = IPAddress.Parse("127.0.0.2");
        await using var gatewayRelay = new TcpRelay(siloPorts[Relayed].Gateway, siloPorts[Relayed].Gateway, targetAddress: behind);
        await using var siloRelay = new TcpRelay(siloPorts[Relayed].Silo, siloPorts[Relayed].Silo, targetAddress: behind);
        gatewayRelay.Start();
        siloRelay.Start();
        var listen = new Dictionary<string, string> { ["Cluster__ListenAddress"] = behind.ToString() };
        HostProcess StartSilo(int i) => Started($"silo-{i}", cluster.Start($"silo-{i}", routes, work.Path, siloTls, siloPorts[i], i == Relayed ? listen : null));
        var silos = new HostProcess?[3];
        for (var i = 0; i < 3; i++)
        {
            cluster.AddPod($"silo-{i}");
            silos[i] = StartSilo(i);
        }

        var peaks = new ConcurrentDictionary<string, double>();
        var edges = new EdgeProcess?[3];
        try
        {
            await Until(() => Task.FromResult(cluster.Rows().Count(r => r.Status == Orleans.Runtime.SiloStatus.Active) == 3), "three silos are Active", TimeSpan.FromSeconds(90));
            edges[0] = Started(EdgeProcess.Start(0, work.Path, KubernetesClustering(server, cluster, edgeTls)));
            edges[1] = Started(EdgeProcess.Start(1, work.Path, KubernetesClustering(server, cluster, edgeTls)));
            await Until(() => edges[0]!.ServesAsync(App), "edge-0 serves", TimeSpan.FromSeconds(60));
            await Until(() => edges[1]!.ServesAsync(App), "edge-1 serves", TimeSpan.FromSeconds(60));

            // The bucket's silo, from the cluster view.
            await edges[0]!.GetAsync(Limited, "/");
            var victim = await BucketSiloAsync(edges[0]!, siloPorts);
            edges[2] = Started(EdgeProcess.Start(2, work.Path, new Dictionary<string, string>
            {
                ["Cluster__Clustering"] = "Localhost",
                ["Cluster__GatewayPort"] = $"{siloPorts[Relayed].Gateway}",
                ["Cluster__ClusterId"] = cluster.ClusterId,
                ["Cluster__ServiceId"] = cluster.ServiceId,
                ["Cluster__Tls__Directory"] = edgeTls,
            }));
            await Until(() => edges[2]!.ServesAsync(App), "edge-2 serves", TimeSpan.FromSeconds(60), edges[2]!.Process, silos[Relayed]!);

            using var load = new CancellationTokenSource();
            var workers = Enumerable.Range(0, 3).SelectMany(e => Workers(() => edges[e], e, load.Token)).ToList();
            await Task.Delay(Settle);
            _report.AppendLine(CultureInfo.InvariantCulture, $"silo ports {string.Join(", ", siloPorts.Select(p => p.Silo))}; bucket on silo-{victim}; edge-2's one gateway is silo-{Relayed}'s, through a relay");
            _report.AppendLine("| event | window s | requests | failed (killed edge excluded) | limited admitted / bound | affinity moved (healthy) | same generation after s |");
            _report.AppendLine("|---|---|---|---|---|---|---|");
            var results = new List<EventResult>();

            // 1. The silo holding the rate-limit bucket dies, then comes back.
            results.Add(await MeasureAsync("SIGKILL the bucket's silo, start it again", edges, excludedEdge: null, sickBackend: null, async () =>
            {
                peaks[$"silo-{victim}"] = silos[victim]!.PeakRssMegabytes;
                silos[victim]!.Kill();
                await Task.Delay(TimeSpan.FromSeconds(10));
                await silos[victim]!.DisposeAsync();
                silos[victim] = StartSilo(victim);
                await Until(() => Task.FromResult(cluster.Rows().Count(r => r.Status == Orleans.Runtime.SiloStatus.Active) == 3), "the silo is back", TimeSpan.FromSeconds(90));
            }, crash: true, partitionedEdges: victim == Relayed ? 1 : 0));

            // 2. An edge dies; the others' clients must not notice.
            results.Add(await MeasureAsync("SIGKILL edge-1", edges, excludedEdge: 1, sickBackend: null, async () =>
            {
                peaks["edge-1"] = edges[1]!.Process.PeakRssMegabytes;
                edges[1]!.Process.Kill();
                await Task.Delay(TimeSpan.FromSeconds(5));
                await edges[1]!.DisposeAsync();
                edges[1] = Started(EdgeProcess.Start(1, work.Path, KubernetesClustering(server, cluster, edgeTls), edges[1]!.Port, edges[1]!.DiagnosticsPort));
                await Until(() => edges[1]!.ServesAsync(App), "edge-1 serves again", TimeSpan.FromSeconds(60));
            }, crash: false));

            // 3. edge-2 loses the silos but keeps its clients.
            results.Add(await MeasureAsync("cut edge-2 off the silos for 15 s", edges, excludedEdge: null, sickBackend: null, async () =>
            {
                gatewayRelay.Cut();
                await Task.Delay(TimeSpan.FromSeconds(15));
                gatewayRelay.Start();
                await Until(async () => await edges[2]!.ConnectedAsync(), "edge-2 is connected again", TimeSpan.FromSeconds(90));
                // The other edges lost one of their gateways: some of their calls waited there until it
                // dropped them (Cluster:ClientDropTimeout). The next event starts once all are answered again.
                await Until(async () => (await Task.WhenAll(edges.Select(e => e!.RateLimitsSharedAsync()))).All(s => s), "every edge's rate limits are shared again", TimeSpan.FromSeconds(60), [.. edges.Select(e => e!.Process)]);
            }, crash: false, partitionedEdges: 1));

            // 4. A destination fails (503 to requests and probes) and recovers.
            results.Add(await MeasureAsync("backend b answers 503 for 10 s", edges, excludedEdge: null, sickBackend: "b", async () =>
            {
                backends[1].Sick = true;
                await Task.Delay(TimeSpan.FromSeconds(10));
                backends[1].Sick = false;
                await Task.Delay(TimeSpan.FromSeconds(5));
            }, crash: false));

            // 5. Every silo dies; the edges serve on what they have; the silos come back.
            results.Add(await MeasureAsync($"SIGKILL every silo for {outage.TotalSeconds:0} s", edges, excludedEdge: null, sickBackend: null, async () =>
            {
                for (var i = 0; i < 3; i++)
                {
                    peaks[$"silo-{i}"] = Math.Max(peaks.GetValueOrDefault($"silo-{i}"), silos[i]!.PeakRssMegabytes);
                    silos[i]!.Kill();
                }

                await Task.Delay(outage);
                for (var i = 0; i < 3; i++)
                {
                    await silos[i]!.DisposeAsync();
                    silos[i] = StartSilo(i);
                }

                await Until(() => Task.FromResult(cluster.Rows().Count(r => r.Status == Orleans.Runtime.SiloStatus.Active) == 3), "the silos are back", TimeSpan.FromSeconds(120));
                await Until(async () => (await Task.WhenAll(edges.Select(e => e!.ConnectedAsync()))).All(c => c), "every edge is connected again", TimeSpan.FromSeconds(120), [.. edges.Select(e => e!.Process)]);
            }, crash: true, partitionedEdges: 3));

            await load.CancelAsync();
            await Task.WhenAll(workers);

            for (var i = 0; i < 3; i++)
            {
                peaks[$"silo-{i}"] = Math.Max(peaks.GetValueOrDefault($"silo-{i}"), silos[i]!.PeakRssMegabytes);
                peaks[$"edge-{i}"] = Math.Max(peaks.GetValueOrDefault($"edge-{i}"), edges[i]!.Process.PeakRssMegabytes);
            }

            _report.AppendLine();
            _report.AppendLine("events (the processes' logs, beside this report, are in UTC too):");
            _report.Append(_timeline);
            _report.AppendLine();
            _report.AppendLine("peak RSS (MB): " + string.Join(", ", peaks.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} {p.Value:0}")));
            if (Environment.GetEnvironmentVariable("FAULTS_REPORT") is { Length: > 0 } file)
            {
                File.WriteAllText(file, _report.ToString());
            }

            Assert.All(results, r => Assert.True(r.Passed, $"{r.Name}: {r.Failure}\n{_report}"));
        }
        finally
        {
            output.WriteLine(_report.ToString());
            WriteOutputs();
            foreach (var edge in edges)
            {
                if (edge is not null)
                {
                    await edge.DisposeAsync();
                }
            }

            foreach (var silo in silos)
            {
                if (silo is not null)
                {
                    await silo.DisposeAsync();
                }
            }

            foreach (var backend in backends)
            {
                await backend.DisposeAsync();
            }
        }
    }

    private HostProcess Started(string name, HostProcess process)
    {
        _processes.Add((name, process));
        return process;
    }

    private EdgeProcess Started(EdgeProcess edge)
    {
        Started(edge.Name, edge.Process);
        return edge;
    }

    /// <summary>
    /// Every process's output beside the report (report.md: report-edge-0.log, …; a restarted process's
    /// runs one after the other), with the events' times in the report, for a failure read after the run.
    /// </summary>
    private void WriteOutputs()
    {
        if (Environment.GetEnvironmentVariable("FAULTS_REPORT") is not { Length: > 0 } report)
        {
            return;
        }

        foreach (var runs in _processes.GroupBy(p => p.Name))
        {
            File.WriteAllText(Path.ChangeExtension(report, null) + $"-{runs.Key}.log", string.Join("\n--- process restarted ---\n", runs.Select(r => r.Process.Output)));
        }
    }

    private static Dictionary<string, string> KubernetesClustering(FakeKubernetesApiServer server, KubernetesSiloProcesses cluster, string tls) => new()
    {
        ["Cluster__Clustering"] = "Kubernetes",
        ["Cluster__ClusterId"] = cluster.ClusterId,
        ["Cluster__ServiceId"] = cluster.ServiceId,
        ["Cluster__Kubernetes__ApiServer"] = server.Url,
        ["Cluster__Kubernetes__Namespace"] = KubernetesSiloProcesses.Namespace,
        ["Cluster__Tls__Directory"] = tls,
    };

    /// <summary>Per edge: three workers on the affinity route (eight users each, 20 ms apart) and one on the limited route (over the limit).</summary>
    private IEnumerable<Task> Workers(Func<EdgeProcess?> edge, int index, CancellationToken stop) =>
        Enumerable.Range(0, 3).Select(w => Task.Run(async () =>
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var user = $"user-{index}-{w}-{n % 8}";
                await SendAsync(edge(), index, App, user, stop);
                await Delay(TimeSpan.FromMilliseconds(20), stop);
            }
        })).Append(Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await SendAsync(edge(), index, Limited, null, stop);
                await Delay(TimeSpan.FromMilliseconds(5), stop);
            }
        }));

    private async Task SendAsync(EdgeProcess? edge, int index, string host, string? user, CancellationToken stop)
    {
        var at = _clock.Elapsed;
        if (edge is null)
        {
            return;
        }

        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/");
            request.Headers.Host = host;
            if (user is not null)
            {
                request.Headers.Add("X-User", user);
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            using var response = await edge.Client.SendAsync(request, timeout.Token);
            var backend = response.Headers.TryGetValues("X-Backend", out var values) ? values.First() : null;
            _samples.Enqueue(new Sample(at, index, host, user, (int)response.StatusCode, backend));
        }
        // ObjectDisposedException: the edge was killed and its client disposed under the worker (counted for that edge, which the event excludes).
        catch (Exception e) when (e is HttpRequestException or ObjectDisposedException or OperationCanceledException && !stop.IsCancellationRequested)
        {
            var error = e is OperationCanceledException ? "no answer within 5 s" : $"{e.GetType().Name}: {e.GetBaseException().Message}";
            _samples.Enqueue(new Sample(at, index, host, user, 0, null, error));
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task Delay(TimeSpan delay, CancellationToken stop)
    {
        try
        {
            await Task.Delay(delay, stop);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Runs the event, lets the load settle, and checks its window.</summary>
    /// <param name="crash">A bucket was lost: the documented bound allows one more burst and the rate over one lease call.</param>
    /// <param name="partitionedEdges">
    /// Edges cut off while the others reach the bucket: each admits on its local fallback (rate / 3), which
    /// the bucket cannot count until it is back (docs/rate-limiting.md, failure behaviour).
    /// </param>
    private async Task<EventResult> MeasureAsync(string name, EdgeProcess?[] edges, int? excludedEdge, string? sickBackend, Func<Task> happen, bool crash, int partitionedEdges = 0)
    {
        var start = _clock.Elapsed;
        var startedAt = DateTime.UtcNow;
        await happen();
        var healed = _clock.Elapsed;
        _timeline.AppendLine(CultureInfo.InvariantCulture, $"- {name}: {startedAt:HH:mm:ss.fff} to {DateTime.UtcNow:HH:mm:ss.fff} UTC");
        var converged = await SameGenerationAsync(edges);
        await Task.Delay(Settle);
        var end = _clock.Elapsed;
        var window = _samples.Where(x => x.At >= start && x.At < end).ToList();
        var seconds = (end - start).TotalSeconds;
        var failures = window.Where(x => x.Edge != excludedEdge && IsFailure(x)).ToList();
        var failed = failures.Count;
        var admitted = window.Count(x => x.Host == Limited && x.Status == 200);
        var bound = (2 * Burst) + (Rate * (seconds + (2 * LeaseLength.TotalSeconds)))
            + (crash ? Burst + (Rate * 2) : 0) + (partitionedEdges * Rate / 3.0 * seconds);
        var moved = Moves(window.Where(x => x.Host == App && x.Status == 200 && x.Edge != excludedEdge), sickBackend);
        var convergedText = converged is { } c ? $"{(c - healed).TotalSeconds:0.0}" : "never (60 s)";
        var row = $"| {name} | {seconds:0} | {window.Count} | {failed}{(sickBackend is null ? "" : " (503s of the failing destination, before its ejection)")} | {admitted} / {bound:0} | {moved} | {convergedText} |";
        var failure = sickBackend is null && failed > 0 ? $"{failed} failed requests: {FailedDetail(failures, start)}"
            : admitted > bound ? $"admitted {admitted} over the bound {bound:0}"
            : moved > 0 ? $"{moved} sessions moved off a healthy destination: {MovedDetail(window.Where(x => x.Host == App && x.Status == 200 && x.Edge != excludedEdge), sickBackend, start)}"
            : converged is null ? "the edges did not come to serve one generation within 60 s"
            : null;
        _report.AppendLine(row);
        return new EventResult(name, row, failure is null, failure);
    }

    /// <summary>Anything but 200 from the app; anything but 200 or 429 from the limited host (0: no answer).</summary>
    private static bool IsFailure(Sample x) =>
        (x.Host == App && x.Status != 200) || (x.Host == Limited && x.Status is not (200 or 429));

    /// <summary>
    /// The failed requests by edge, host and status (0: no answer, with why), with when the first and the last
    /// were sent, seconds into the window.
    /// </summary>
    private static string FailedDetail(List<Sample> failures, TimeSpan start) => string.Join("; ", failures
        .GroupBy(x => (x.Edge, x.Host, x.Status, x.Error))
        .Select(g => string.Create(CultureInfo.InvariantCulture,
            $"edge-{g.Key.Edge} {g.Key.Host} {g.Key.Status}{(g.Key.Error is null ? "" : $" ({g.Key.Error})")} x{g.Count()} at {(g.Min(x => x.At) - start).TotalSeconds:0.0}-{(g.Max(x => x.At) - start).TotalSeconds:0.0} s")));

    /// <summary>
    /// Users whose requests went elsewhere than the destination they had when the window began, although
    /// it stayed healthy (a user of the failing destination may leave it and come back: that is no move).
    /// </summary>
    private static int Moves(IEnumerable<Sample> served, string? sick) =>
        served.GroupBy(x => x.User).Count(g =>
        {
            var ordered = g.OrderBy(x => x.At).ToList();
            var origin = ordered[0].Backend;
            return origin != sick && ordered.Any(x => x.Backend != origin);
        });

    /// <summary>Each moved session's destinations in order, with the second of the window each began.</summary>
    private static string MovedDetail(IEnumerable<Sample> served, string? sick, TimeSpan start) =>
        string.Join("; ", served.GroupBy(x => x.User).Select(g => g.OrderBy(x => x.At).ToList())
            .Where(g => g[0].Backend != sick && g.Any(x => x.Backend != g[0].Backend))
            .Select(g => $"{g[0].User}: " + string.Join(" ", g.Where((x, i) => i == 0 || x.Backend != g[i - 1].Backend).Select(x => $"{x.Backend}@{(x.At - start).TotalSeconds:0.0}"))));

    /// <summary>When every edge reports one generation (polled for at most 60 s); null when they never did.</summary>
    private async Task<TimeSpan?> SameGenerationAsync(EdgeProcess?[] edges)
    {
        var deadline = _clock.Elapsed + TimeSpan.FromSeconds(60);
        while (_clock.Elapsed < deadline)
        {
            var generations = await Task.WhenAll(edges.Select(e => e!.GenerationAsync()));
            if (generations.All(g => g is not null && g == generations[0]))
            {
                return _clock.Elapsed;
            }

            await Task.Delay(100);
        }

        return null;
    }

    /// <summary>The silo the limited host's bucket is active on, from the cluster view (by its silo port).</summary>
    private static async Task<int> BucketSiloAsync(EdgeProcess edge, (int Silo, int Gateway)[] ports)
    {
        var bucket = await edge.DiagAsync($"/diag/ratelimits/test/limited/rate-limit/{Limited}");
        var silo = bucket.GetProperty("bucket").GetProperty("silo").GetString() ?? throw new InvalidOperationException("the bucket names no silo");
        return Array.FindIndex(ports, p => silo.Contains($":{p.Silo}:", StringComparison.Ordinal)) is var i and >= 0 ? i
            : throw new InvalidOperationException($"bucket silo {silo} is none of ours");
    }

    /// <param name="processes">Whose output a timeout shows (the last 30 lines of each).</param>
    private static async Task Until(Func<Task<bool>> condition, string what, TimeSpan timeout, params HostProcess[] processes)
    {
        try
        {
            await Eventually.Until(condition, what, timeout);
        }
        catch (TimeoutException e) when (processes.Length > 0)
        {
            throw new TimeoutException($"{e.Message}\n{string.Join("\n---\n", processes.Select(p => string.Join('\n', p.Output.Split('\n').TakeLast(30))))}", e);
        }
    }

    /// <param name="Error">Why there was no answer (Status 0): a timeout, or the exception's message.</param>
    private sealed record Sample(TimeSpan At, int Edge, string Host, string? User, int Status, string? Backend, string? Error = null);

    private sealed record EventResult(string Name, string Row, bool Passed, string? Failure);

    /// <summary>An edge as a process (Orleans.Proxy.Edge.dll) with its public and diagnostics ports, and a client for each.</summary>
    private sealed class EdgeProcess : IAsyncDisposable
    {
        private readonly HttpClient _diagnostics;

        private EdgeProcess(string name, HostProcess process, int port, int diagnosticsPort)
        {
            Name = name;
            Process = process;
            Port = port;
            DiagnosticsPort = diagnosticsPort;
            Client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            _diagnostics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{diagnosticsPort}"), Timeout = TimeSpan.FromSeconds(5) };
        }

        public string Name { get; }

        public HostProcess Process { get; }

        public int Port { get; }

        public int DiagnosticsPort { get; }

        public HttpClient Client { get; }

        public static EdgeProcess Start(int index, string workingDirectory, IReadOnlyDictionary<string, string> cluster, int? port = null, int? diagnosticsPort = null)
        {
            var publicPort = port ?? FreePorts.Next();
            var diag = diagnosticsPort ?? FreePorts.Next();
            var environment = new Dictionary<string, string>(cluster)
            {
                ["Edge__Id"] = $"edge-{index}",
                ["Edge__Port"] = $"{publicPort}",
                ["Edge__Address"] = "127.0.0.1",
                ["Diagnostics__Port"] = $"{diag}",
                ["Diagnostics__Address"] = "127.0.0.1",
                ["Diagnostics__Insecure"] = "true",
                ["AccessLog__Enabled"] = "false",
                ["Logging__LogLevel__Orleans"] = "Warning",
            };
            return new EdgeProcess($"edge-{index}", HostProcess.Start(Path.Combine(AppContext.BaseDirectory, "Orleans.Proxy.Edge.dll"), workingDirectory, environment), publicPort, diag);
        }

        public async Task<HttpResponseMessage> GetAsync(string host, string path)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Host = host;
            return await Client.SendAsync(request);
        }

        public async Task<bool> ServesAsync(string host)
        {
            try
            {
                using var response = await GetAsync(host, "/");
                return response.StatusCode == HttpStatusCode.OK;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }

        public async Task<JsonElement> DiagAsync(string path)
        {
            using var response = await _diagnostics.GetAsync(path);
            response.EnsureSuccessStatusCode();
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        }

        public async Task<long?> GenerationAsync()
        {
            try
            {
                return (await DiagAsync("/diag/edge")).GetProperty("generation").GetInt64();
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return null;
            }
        }

        public async Task<bool> ConnectedAsync()
        {
            try
            {
                return (await DiagAsync("/diag/edge")).GetProperty("connection").GetProperty("connected").GetBoolean();
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return false;
            }
        }

        /// <summary>No rate-limit partition on the local fallback: every grain call of the limiter is answered again.</summary>
        public async Task<bool> RateLimitsSharedAsync()
        {
            try
            {
                return !(await DiagAsync("/diag/ratelimits")).GetProperty("degraded").GetBoolean();
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return false;
            }
        }

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            _diagnostics.Dispose();
            await Process.DisposeAsync();
        }
    }
}
