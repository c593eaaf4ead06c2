using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Proxy.Edge.Hosting;
using Orleans.Proxy.Hosting;
using Orleans.Proxy.Silo.Hosting;

// Shared rate limit bench. For 1, 2, 4 and 8 edges: admitted / limit over a measured window in the
// steady state (after the initial burst is spent), the p99 of the time the limiter adds to an
// admitted request (the rate-limit decision histogram), and lease calls to the grains per 1,000 requests.
var options = Args.Parse(args);
var edgeCounts = new[] { 1, 2, 4, 8 };
using var temp = new TempFolder();
var backendPort = Edge.FreePort();
var routes = new System.Text.StringBuilder($"""
    apiVersion: v1
    kind: Service
    metadata: {"{"}name: web, namespace: bench{"}"}
    spec:
      ports: [{"{"}name: http, port: 80{"}"}]
    ---
    apiVersion: discovery.k8s.io/v1
    kind: EndpointSlice
    metadata:
      name: web
      namespace: bench
      labels: {"{"}kubernetes.io/service-name: web{"}"}
    addressType: IPv4
    ports: [{"{"}name: http, port: {backendPort}{"}"}]
    endpoints: [{"{"}addresses: ["127.0.0.1"]{"}"}]

    """);
foreach (var n in edgeCounts)
{
    // One policy per row, so each row starts with a fresh bucket.
    routes.Append(CultureInfo.InvariantCulture, $"""
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: edges-{n}
          namespace: bench
          annotations:
            orleans-proxy.io/rate-limit-rps: "{options.Limit}"
            orleans-proxy.io/rate-limit-burst: "{options.Burst}"
        spec:
          rules:
          - host: edges-{n}.bench
            http:
              paths: [{"{"}path: /, pathType: Prefix, backend: {"{"}service: {"{"}name: web, port: {"{"}number: 80{"}"}{"}"}{"}"}{"}"}]

        """);
}

// Distinct-keys mode: one limit per API key, far above what any key sends.
routes.Append(CultureInfo.InvariantCulture, $"""
    ---
    apiVersion: networking.k8s.io/v1
    kind: Ingress
    metadata:
      name: keys
      namespace: bench
      annotations:
        orleans-proxy.io/rate-limit-rps: "{options.KeyLimit}"
        orleans-proxy.io/rate-limit-key: "header:X-Api-Key"
    spec:
      rules:
      - host: keys.bench
        http:
          paths: [{"{"}path: /, pathType: Prefix, backend: {"{"}service: {"{"}name: web, port: {"{"}number: 80{"}"}{"}"}{"}"}{"}"}]

    """);

// An unlimited host to warm the process up on (JIT, connection pools) before the first row.
routes.Append("""
    ---
    apiVersion: networking.k8s.io/v1
    kind: Ingress
    metadata: {name: warm-up, namespace: bench}
    spec:
      rules:
      - host: warm-up.bench
        http:
          paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]

    """);
File.WriteAllText(Path.Combine(temp.Path, "routes.yaml"), routes.ToString());

await using var backend = await StartBackendAsync(backendPort);
var (siloPort, gatewayPort) = (Edge.FreePort(), Edge.FreePort());
using var silo = await StartSiloAsync(temp.Path, siloPort, gatewayPort);
var edges = new List<Edge>();
foreach (var _ in edgeCounts.Max() is var max ? Enumerable.Range(0, max) : [])
{
    edges.Add(await Edge.StartAsync(gatewayPort));
}

foreach (var edge in edges)
{
    await edge.WaitForRouteAsync("warm-up.bench");
}

using (var warmUp = new CancellationTokenSource(TimeSpan.FromSeconds(3)))
{
    await Task.WhenAll(Enumerable.Range(0, options.Workers).Select(w => Task.Run(() => Worker(edges[w % edges.Count], "warm-up.bench", new Counts(), warmUp.Token))));
}

if (options.Keys > 0)
{
    await KeysModeAsync(edges, options);
    foreach (var edge in edges)
    {
        await edge.DisposeAsync();
    }

    return;
}

using var decisions = new DecisionRecorder();
Console.WriteLine($"limit {options.Limit} rps, burst {options.Burst}; {options.Workers} closed-loop workers per row spread over its edges; {options.Seconds}s per row; {Environment.ProcessorCount} cores");
Console.WriteLine("admitted/limit = (admitted - burst) / (limit x elapsed): a token bucket admits at most burst + limit x elapsed, so 1.000 is the exact limit");
Console.WriteLine("(admitted + unspent)/limit also counts the tokens still in the bucket or held by edges when the load stopped: not lost, just not yet asked for");
Console.WriteLine();
Console.WriteLine("| edges | requests/s | admitted/limit | (admitted + unspent)/limit | limiter p99 (admitted requests) | grain calls / 1,000 requests | request-path grain calls |");
Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|");
foreach (var n in edgeCounts)
{
    var row = edges.Take(n).ToList();
    var host = $"edges-{n}.bench";
    foreach (var edge in row)
    {
        await edge.WaitForRouteAsync(host);
    }

    // Each row has its own policy, so its bucket starts full with the first request below.
    var callsBefore = await CallsAsync(row);
    decisions.Reset();
    using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(options.Seconds));
    var counts = new Counts();
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, options.Workers).Select(w => Task.Run(() => Worker(row[w % n], host, counts, stop.Token))));
    var elapsed = clock.Elapsed.TotalSeconds;
    var callsAfter = await CallsAsync(row);
    var unspent = await UnspentAsync(row, $"bench/edges-{n}/rate-limit/127.0.0.1");

    var (admitted, requests, other) = counts.Snapshot();
    var ratio = (admitted - options.Burst) / (options.Limit * elapsed);
    var used = (admitted + unspent - options.Burst) / (options.Limit * elapsed);
    var calls = callsAfter.Calls - callsBefore.Calls;
    var requestPath = callsAfter.RequestPath - callsBefore.RequestPath;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {n} | {requests / elapsed:F0} | {ratio:F3} | {used:F3} | {decisions.Percentile(0.99) * 1e6:F0} µs | {calls * 1000.0 / Math.Max(1, requests):F2} | {requestPath} |"));
    if (other > 0)
    {
        Console.WriteLine($"  ({other} answers were neither 200 nor 429)");
    }
}

foreach (var edge in edges)
{
    await edge.DisposeAsync();
}

return;

// Many distinct keys, each far below its limit: every 429 is a refusal under the limit. Per edge
// count, the same closed-loop workers on an unlimited host, then on the keyed one (keys drawn at
// random from a pool, a fresh pool per row), and the limiter's grain calls over the keyed run.
static async Task KeysModeAsync(List<Edge> edges, Args options)
{
    Console.WriteLine($"distinct keys: header:X-Api-Key limited to {options.KeyLimit} rps per key, keys drawn at random from {options.Keys:N0} per row; {options.Workers} closed-loop workers; {options.Seconds}s per run; {Environment.ProcessorCount} cores");
    Console.WriteLine();
    Console.WriteLine("grain calls: lease calls during the keyed run; settlements by the end of the row (a key's partition reports what it admitted when it goes away, 10 s after its last request: about one per distinct key seen, in the background)");
    Console.WriteLine();
    Console.WriteLine("| edges | unlimited req/s | keyed req/s | keyed / unlimited | requests | refused (all under the limit) | lease calls / 1,000 requests | settlements / 1,000 requests (distinct keys / 1,000 requests) | request-path grain calls |");
    Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    // Each row on edges of its own, so no row counts the settlements of an earlier row's keys.
    var used = 0;
    foreach (var n in new[] { 1, 4 })
    {
        var row = edges.Skip(used).Take(n).ToList();
        used += n;
        foreach (var edge in row)
        {
            await edge.WaitForRouteAsync("keys.bench");
        }

        // Unlimited before and after the keyed run, so a drift of the machine's load shows in neither alone.
        var plainBefore = await RunAsync(row, "warm-up.bench", null, options);
        var pool = Enumerable.Range(0, options.Keys).Select(_ => Guid.NewGuid().ToString("N")).ToArray();
        var before = await CallsAsync(row);
        var seen = new bool[pool.Length];
        var keyed = await RunAsync(row, "keys.bench", pool, options, seen);
        var after = await CallsAsync(row);
        var plainAfter = await RunAsync(row, "warm-up.bench", null, options);
        // Then the keys idle out (ASP.NET Core drops a partition idle for 10 s) and report what they admitted.
        await Task.Delay(TimeSpan.FromSeconds(12));
        var idle = await CallsAsync(row);
        var (admitted, requests, other) = keyed.Counts.Snapshot();
        var refused = requests - admitted - other;
        var leaseCalls = after.Calls - before.Calls - (after.Settlements - before.Settlements);
        var settlements = idle.Settlements - before.Settlements;
        var plain = (plainBefore.Counts.Snapshot().Total + plainAfter.Counts.Snapshot().Total) / (plainBefore.Seconds + plainAfter.Seconds);
        var keyedRate = requests / keyed.Seconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {n} | {plain:F0} | {keyedRate:F0} | {keyedRate / plain:F2} | {requests} | {refused} | {leaseCalls * 1000.0 / Math.Max(1, requests):F2} | {settlements * 1000.0 / Math.Max(1, requests):F0} ({seen.Count(k => k) * 1000.0 / Math.Max(1, requests):F0}) | {after.RequestPath - before.RequestPath} |"));
        if (other > 0)
        {
            Console.WriteLine($"  ({other} answers were neither 200 nor 429)");
        }
    }
}

static async Task<(Counts Counts, double Seconds)> RunAsync(IReadOnlyList<Edge> row, string host, string[]? keys, Args options, bool[]? seen = null)
{
    var counts = new Counts();
    using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(options.Seconds));
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, options.Workers).Select(w => Task.Run(() => Worker(row[w % row.Count], host, counts, stop.Token, keys, seen))));
    return (counts, clock.Elapsed.TotalSeconds);
}

static async Task Worker(Edge edge, string host, Counts counts, CancellationToken stop, string[]? keys = null, bool[]? seen = null)
{
    while (!stop.IsCancellationRequested)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Host = host;
        if (keys is not null)
        {
            var key = Random.Shared.Next(keys.Length);
            seen?[key] = true;
            request.Headers.Add("X-Api-Key", keys[key]);
        }

        try
        {
            using var response = await edge.Public.SendAsync(request, stop);
            counts.Add(response.StatusCode);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }
}

// Tokens in the shared bucket plus those the edges still hold, read back through the diagnostics API.
static async Task<double> UnspentAsync(IReadOnlyList<Edge> edges, string partition)
{
    var unspent = 0.0;
    for (var i = 0; i < edges.Count; i++)
    {
        var diag = await edges[i].Diagnostics.GetFromJsonAsync<JsonElement>($"/diag/ratelimits/{partition}");
        unspent += (i == 0 ? diag.GetProperty("bucket").GetProperty("tokensLeft").GetDouble() : 0)
            + (diag.GetProperty("thisEdge") is { ValueKind: JsonValueKind.Object } local ? local.GetProperty("tokens").GetDouble() : 0);
    }

    return unspent;
}

static async Task<(long Calls, long RequestPath, long Settlements)> CallsAsync(IEnumerable<Edge> edges)
{
    long calls = 0, requestPath = 0, settlements = 0;
    foreach (var edge in edges)
    {
        var diag = await edge.Diagnostics.GetFromJsonAsync<JsonElement>("/diag/ratelimits");
        calls += diag.GetProperty("grainCalls").GetInt64();
        requestPath += diag.GetProperty("requestPathGrainCalls").GetInt64();
        settlements += diag.GetProperty("settlements").GetInt64();
    }

    return (calls, requestPath, settlements);
}

static async Task<WebApplication> StartBackendAsync(int port)
{
    var builder = WebApplication.CreateSlimBuilder();
    builder.Logging.ClearProviders();
    builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
    var app = builder.Build();
    app.Run(context => context.Response.WriteAsync("ok"));
    await app.StartAsync();
    return app;
}

static async Task<IHost> StartSiloAsync(string routes, int siloPort, int gatewayPort)
{
    var builder = Host.CreateApplicationBuilder();
    builder.Logging.ClearProviders();
    builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["Routes:Directory"] = routes,
        ["Cluster:SiloPort"] = $"{siloPort}",
        ["Cluster:PrimarySiloPort"] = $"{siloPort}",
        ["Cluster:GatewayPort"] = $"{gatewayPort}",
    });
    builder.AddOrleansProxySilo();
    var host = builder.Build();
    await host.StartAsync();
    return host;
}

internal sealed record Args(int Limit, int Burst, int Seconds, int Workers, int Keys, int KeyLimit)
{
    public static Args Parse(string[] args)
    {
        int Read(string name, int fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var v) && v > 0 ? v : fallback;
        }

        var limit = Read("--limit", 500);
        var keys = Array.IndexOf(args, "--keys") >= 0 ? Math.Min(Read("--keys", 100_000), 10_000_000) : 0;
        return new Args(limit, Read("--burst", limit), Math.Min(Read("--seconds", 10), 60), Math.Min(Read("--workers", 16), 64), keys, Read("--key-limit", 100));
    }
}

/// <summary>An edge as an Orleans client of the silo, on its own loopback listeners.</summary>
internal sealed class Edge : IAsyncDisposable
{
    private readonly WebApplication _app;

    private Edge(WebApplication app, int port, int diagnosticsPort)
    {
        _app = app;
        Public = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        Diagnostics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{diagnosticsPort}") };
    }

    public HttpClient Public { get; }

    public HttpClient Diagnostics { get; }

    public static async Task<Edge> StartAsync(int gatewayPort)
    {
        var (port, diagnosticsPort) = (FreePort(), FreePort());
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            // One line per request to the console would measure the console, not the limiter.
            ["AccessLog:Enabled"] = "false",
            ["Edge:Address"] = "127.0.0.1",
            ["Edge:Port"] = $"{port}",
            ["Diagnostics:Address"] = "127.0.0.1",
            ["Diagnostics:Port"] = $"{diagnosticsPort}",
            ["Diagnostics:Insecure"] = "true",
            ["Cluster:GatewayPort"] = $"{gatewayPort}",
        });
        builder.AddOrleansProxyEdge();
        var app = builder.Build();
        app.MapOrleansProxyEdge();
        await app.StartAsync();
        return new Edge(app, port, diagnosticsPort);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Waits until the edge serves the host (a 200 or a 429, not a 404).</summary>
    public async Task WaitForRouteAsync(string host)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var response = await Diagnostics.GetAsync(new Uri($"/diag/hosts/{host}", UriKind.Relative));
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the edge never served {host}");
            }

            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Public.Dispose();
        Diagnostics.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

internal sealed class Counts
{
    private long _admitted;
    private long _rejected;
    private long _other;

    public void Add(HttpStatusCode status)
    {
        switch (status)
        {
            case HttpStatusCode.OK:
                Interlocked.Increment(ref _admitted);
                break;
            case HttpStatusCode.TooManyRequests:
                Interlocked.Increment(ref _rejected);
                break;
            default:
                Interlocked.Increment(ref _other);
                break;
        }
    }

    public (long Admitted, long Total, long Other) Snapshot()
    {
        var admitted = Interlocked.Read(ref _admitted);
        var rejected = Interlocked.Read(ref _rejected);
        var other = Interlocked.Read(ref _other);
        return (admitted, admitted + rejected + other, other);
    }
}

/// <summary>Collects the edges' rate-limit decision histogram (seconds the limiter added to admitted requests).</summary>
internal sealed class DecisionRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly object _lock = new();
    private List<double> _values = [];

    public DecisionRecorder()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Orleans.Proxy.RateLimiting" && instrument.Name == "orleans_proxy.rate_limit.decision.duration")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((_, value, _, _) =>
        {
            lock (_lock)
            {
                _values.Add(value);
            }
        });
        _listener.Start();
    }

    public void Reset()
    {
        lock (_lock)
        {
            _values = [];
        }
    }

    public double Percentile(double p)
    {
        lock (_lock)
        {
            if (_values.Count == 0)
            {
                return double.NaN;
            }

            var sorted = _values.Order().ToList();
            return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
        }
    }

    public void Dispose() => _listener.Dispose();
}

internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("orleans-proxy-bench-").FullName;

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
