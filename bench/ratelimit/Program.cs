using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Proxy.Edge.Hosting;
using Orleans.Proxy.Hosting;
using Orleans.Runtime;

// Shared rate limit bench, in three modes (see ./run): the precision of one limit over 1, 2, 4 and 8
// edges; distinct keys (a flood of keys far below their limit with a few heavy hitters over it); and
// the sweep of edges x silos. Silos run as processes of their own (this executable with
// SiloProcess.Flag), so their CPU time and memory are measured apart from the edges'.
if (args is [SiloProcess.Flag, ..])
{
    await SiloProcess.RunAsync(args);
    return;
}

var options = Args.Parse(args);
using var temp = new TempFolder();
var backendPort = Edge.FreePort();
File.WriteAllText(Path.Combine(temp.Path, "routes.yaml"), Routes(backendPort, options));
await using var backend = await StartBackendAsync(backendPort);
Console.WriteLine($"{Environment.ProcessorCount} cores; load average at the start {LoadAverage()}");
if (options.Sweep)
{
    await SweepAsync(temp.Path, options);
}
else if (options.Keys > 0)
{
    await KeysModeAsync(temp.Path, options);
}
else
{
    await PrecisionAsync(temp.Path, options);
}

Console.WriteLine($"load average at the end {LoadAverage()}");
return;

// For 1, 2, 4 and 8 edges: admitted / limit over a measured window in the steady state (after the
// initial burst is spent), the p99 of the time the limiter adds to an admitted request (the
// rate-limit decision histogram), and lease calls to the grains per 1,000 requests.
static async Task PrecisionAsync(string routes, Args options)
{
    await using var fleet = await Fleet.StartAsync(routes, silos: 1, edges: 8, options.Workers);
    using var decisions = new DecisionRecorder();
    Console.WriteLine($"limit {options.Limit} rps, burst {options.Burst}; {options.Workers} closed-loop workers per row spread over its edges; {options.Seconds}s per row; one silo process");
    Console.WriteLine("admitted/limit = (admitted - burst) / (limit x elapsed): a token bucket admits at most burst + limit x elapsed, so 1.000 is the exact limit");
    Console.WriteLine("(admitted + unspent)/limit also counts the tokens still in the bucket or held by edges when the load stopped: not lost, just not yet asked for");
    Console.WriteLine();
    Console.WriteLine("| edges | requests/s | admitted/limit | (admitted + unspent)/limit | limiter p99 (admitted requests) | grain calls / 1,000 requests | request-path grain calls | failed | load average (1 min) |");
    Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    foreach (var n in Fleet.EdgeCounts)
    {
        var row = fleet.Edges.Take(n).ToList();
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
        await Load.ClosedAsync(row, host, null, options.Workers, counts, stop.Token);
        var elapsed = clock.Elapsed.TotalSeconds;
        var callsAfter = await CallsAsync(row);
        var unspent = await UnspentAsync(row, $"bench/edges-{n}/rate-limit/127.0.0.1");

        var c = counts.Snapshot();
        var ratio = (c.Admitted - options.Burst) / (options.Limit * elapsed);
        var used = (c.Admitted + unspent - options.Burst) / (options.Limit * elapsed);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {n} | {c.Total / elapsed:F0} | {ratio:F3} | {used:F3} | {decisions.Percentile(0.99) * 1e6:F0} µs | {(callsAfter.Calls - callsBefore.Calls) * 1000.0 / Math.Max(1, c.Total):F2} | {callsAfter.RequestPath - callsBefore.RequestPath} | {c.Failed} | {LoadAverage1()} |"));
    }
}

// Many distinct keys, each far below its limit, so every 429 on them is a refusal under the limit,
// and a few heavy hitters sent at a multiple of their limit among them. Per key kind (an API key
// header, or the client address a trusted proxy wrote in X-Forwarded-For) and edge count: the same
// load on an unlimited host before and after the limited run, the grain calls, the heavy hitters'
// admissions against the bucket's bound, and memory over time until the keys' partitions and bucket
// grains have gone away.
static async Task KeysModeAsync(string routes, Args options)
{
    await using var fleet = await Fleet.StartAsync(routes, silos: 1, edges: 4, options.Workers);
    var (siloHeapAtStart, siloRssAtStart) = (await fleet.Cluster.CollectAsync(), fleet.Cluster.Rss);
    var heavyRate = Args.HeavyFactor * options.KeyLimit;
    Console.WriteLine($"distinct keys: limit {options.KeyLimit} rps per key (burst {options.KeyLimit}); {options.Workers} closed-loop workers send each request with a key drawn at random from {options.Keys:N0} (a fresh pool per row);");
    Console.WriteLine($"{options.Heavy} heavy hitters, each paced at {heavyRate} rps ({Args.HeavyFactor} x its limit) over the row's edges; {options.Seconds}s per run; one silo process");
    Console.WriteLine("unlimited: the same load on a host without a limit, before and after the limited run; failed: answers neither 200 nor 429, and connection errors");
    Console.WriteLine("refused under the limit: 429s to the random keys (none comes near its limit); heavy hitters: admitted / (limit x seconds + burst), the token bucket's own bound");
    Console.WriteLine("grain calls: lease calls during the limited run, and in brackets the settlements of leases that expired unused; settlements by the end of the row (a key's partition reports what it admitted when it goes away: about one per distinct key and edge, in the background)");
    Console.WriteLine();
    Console.WriteLine("| key | edges | unlimited req/s | limited req/s | limited / unlimited | requests | failed | refused under the limit | lease calls (expiry settlements) / 1,000 requests | settlements / 1,000 requests (distinct keys / 1,000) | request-path grain calls | heavy hitters offered / limit | heavy hitters admitted / allowed | load average (1 min) |");
    Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    var variants = new (string Name, string Host, string Header, Func<int, string> Key, Func<int, string> Heavy)[]
    {
        ("header:X-Api-Key", "keys.bench", "X-Api-Key", _ => Guid.NewGuid().ToString("N"), i => $"heavy-{i}-{Guid.NewGuid():N}"),
        // Addresses out of 198.18.0.0/15 (131,072, for benchmarks), heavy hitters out of 203.0.113.0/24.
        ("client-ip (X-Forwarded-For)", "clients.bench", "X-Forwarded-For", i => $"198.{18 + (i >> 16)}.{(i >> 8) & 255}.{i & 255}", i => $"203.0.113.{i + 1}"),
    };
    var curves = new StringBuilder();
    foreach (var variant in variants)
    {
        foreach (var n in new[] { 1, 4 })
        {
            var row = fleet.Edges.Take(n).ToList();
            foreach (var edge in row)
            {
                await edge.WaitForRouteAsync(variant.Host);
            }

            var values = Enumerable.Range(0, Math.Min(options.Keys, 131_072)).Select(variant.Key).ToArray();
            var heavyValues = Enumerable.Range(0, options.Heavy).Select(variant.Heavy).ToArray();
            var plainBefore = await KeysRunAsync(row, "warm-up.bench", new KeyPool(variant.Header, values), heavyValues, options);
            await using var curve = MemoryCurve.Start(fleet, row);
            var pool = new KeyPool(variant.Header, values);
            var before = await CallsAsync(row);
            await curve.MarkAsync("limited load starts");
            var keyed = await KeysRunAsync(row, variant.Host, pool, heavyValues, options);
            await curve.MarkAsync("limited load stopped");
            var after = await CallsAsync(row);
            var plainAfter = await KeysRunAsync(row, "warm-up.bench", new KeyPool(variant.Header, values), heavyValues, options);
            await curve.MarkAsync("unlimited load stopped");
            await curve.WaitForIdleAsync(TimeSpan.FromSeconds(60));
            await curve.MarkAfterFullCollectionAsync();
            var idle = await CallsAsync(row);

            var random = keyed.Random.Snapshot();
            var heavy = keyed.Heavy.Select(h => h.Snapshot()).ToArray();
            var requests = random.Total + heavy.Sum(h => h.Total);
            var failed = random.Failed + heavy.Sum(h => h.Failed);
            var expiry = after.Expiry - before.Expiry;
            var leaseCalls = after.Calls - before.Calls - (after.Settlements - before.Settlements) - expiry;
            var settlements = idle.Settlements - before.Settlements;
            var plain = (plainBefore.Requests + plainAfter.Requests) / (plainBefore.Seconds + plainAfter.Seconds);
            var limited = requests / keyed.Seconds;
            var allowed = options.KeyLimit * keyed.Seconds + options.KeyLimit;
            var offered = heavy.Length == 0 ? "-" : string.Create(CultureInfo.InvariantCulture, $"{heavy.Min(h => h.Total) / keyed.Seconds / options.KeyLimit:F2}");
            var share = heavy.Length == 0 ? "-" : string.Create(CultureInfo.InvariantCulture, $"{heavy.Min(h => h.Admitted) / allowed:F3} - {heavy.Max(h => h.Admitted) / allowed:F3}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {variant.Name} | {n} | {plain:F0} | {limited:F0} | {limited / plain:F2} | {requests} | {failed} | {random.Rejected} | {leaseCalls * 1000.0 / Math.Max(1, requests):F2} ({expiry * 1000.0 / Math.Max(1, requests):F2}) | {settlements * 1000.0 / Math.Max(1, requests):F0} ({pool.Distinct * 1000.0 / Math.Max(1, requests):F0}) | {after.RequestPath - before.RequestPath} | {offered} | {share} | {LoadAverage1()} |"));
            curves.AppendLine().Append(curve.Render($"{variant.Name}, {n} edge{(n == 1 ? "" : "s")}"));
        }
    }

    // The silo's directory cache keeps a bucket grain's location for Cluster:DirectoryCacheTtl (20 s) after its
    // last use, dropped within twice that: idle that long, the silo holds what it held before the rows.
    var siloHeapAfterRows = await fleet.Cluster.CollectAsync();
    var quiet = TimeSpan.FromSeconds(45);
    await Task.Delay(quiet);
    var siloHeapIdle = await fleet.Cluster.CollectAsync();
    static string Mb(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:F0}");
    Console.WriteLine();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"Silo GC heap after a full GC: {Mb(siloHeapAtStart)} MB before the rows, {Mb(siloHeapAfterRows)} MB after them, {Mb(siloHeapIdle)} MB after {quiet.TotalSeconds:F0} s idle (silo RSS {Mb(siloRssAtStart)}, then {Mb(fleet.Cluster.Rss)} MB); load average {LoadAverage1()}"));
    Console.WriteLine();
    Console.WriteLine("Memory over each row (bench process: the edges, the backend and the load, Server GC; silo: its own process). Partitions per edge from /diag/ratelimits, bucket grains from the management grain.");
    Console.Write(curves);
}

// Random keys from the pool in closed loop, and each heavy hitter paced at a multiple of its limit.
static async Task<KeysRun> KeysRunAsync(IReadOnlyList<Edge> row, string host, KeyPool pool, string[] heavyValues, Args options)
{
    using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(options.Seconds));
    var random = new Counts();
    var heavy = heavyValues.Select(_ => new Counts()).ToArray();
    var clock = Stopwatch.StartNew();
    await Task.WhenAll([
        Load.ClosedAsync(row, host, pool, options.Workers, random, stop.Token),
        .. heavyValues.Select((value, i) => Load.PacedAsync(row, host, new KeyPool(pool.Header, [value]), Args.HeavyFactor * options.KeyLimit, Args.HeavyWorkers, heavy[i], stop.Token)),
    ]);
    return new KeysRun(random, heavy, clock.Elapsed.TotalSeconds);
}

// 1, 2, 4 and 8 edges against 1 and 3 silos, each at a request rate and twice it, over the same
// partitions (keys far below their limit): the grain calls and the silos' CPU time per row.
static async Task SweepAsync(string routes, Args options)
{
    Console.WriteLine($"edges x silos: {options.Partitions} keys (header:X-Api-Key, limit {options.KeyLimit} rps each), requests paced at {options.Rate} and {2 * options.Rate} req/s over the row's edges, key at random");
    Console.WriteLine($"({options.Rate / (double)options.Partitions:F0} and {2 * options.Rate / (double)options.Partitions:F0} rps per key: under the limit, busy enough to need leases); {Args.SettleSeconds}s to settle in ({Args.FirstSettleSeconds}s for the first row), then {options.Seconds}s measured per row;");
    Console.WriteLine("edge i connects to silo i mod silos; silos are processes of their own; 0 edges: the silos with no load (membership, timers), for reference");
    Console.WriteLine("silo CPU: CPU time of the silo processes (all of them) over the window, in % of one core; bench CPU: the process with the edges, the backend and the load");
    Console.WriteLine();
    Console.WriteLine("| silos | edges | target req/s | req/s | refused | failed | partitions (sum over edges) | grain calls/s | grain calls/s per edge | grain calls / 1,000 requests | silo CPU % | silo CPU ms / 1,000 requests | bench CPU % | load average (1 min) |");
    Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    var keys = new KeyPool("X-Api-Key", [.. Enumerable.Range(0, options.Partitions).Select(i => $"sweep-{i}")]);
    foreach (var silos in new[] { 1, 3 })
    {
        await using var fleet = await Fleet.StartAsync(routes, silos, Fleet.EdgeCounts.Max(), options.Workers);
        var idleCpu = fleet.Cluster.Cpu;
        var idleClock = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(options.Seconds));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {silos} | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | {(fleet.Cluster.Cpu - idleCpu).TotalMilliseconds / idleClock.Elapsed.TotalSeconds / 10:F1} | - | - | {LoadAverage1()} |"));
        // Rows in this order keep every partition busy from one row to the next (the edge set only
        // grows), so no row counts the settlements of partitions an earlier row left idle.
        foreach (var n in Fleet.EdgeCounts)
        {
            var row = fleet.Edges.Take(n).ToList();
            foreach (var edge in row)
            {
                await edge.WaitForRouteAsync("keys.bench");
            }

            foreach (var rate in new[] { options.Rate, 2 * options.Rate })
            {
                // The first row also warms the silos up (the bucket grains' code is compiled on first use).
                var settle = n == 1 && rate == options.Rate ? Args.FirstSettleSeconds : Args.SettleSeconds;
                using var stop = new CancellationTokenSource();
                var counts = new Counts();
                var load = Load.PacedAsync(row, "keys.bench", keys, rate, Args.PacedWorkers, counts, stop.Token);
                await Task.Delay(TimeSpan.FromSeconds(settle));
                var (calls0, silo0, bench0, requests0) = (await CallsAsync(row), fleet.Cluster.Cpu, Process.GetCurrentProcess().TotalProcessorTime, counts.Snapshot());
                var clock = Stopwatch.StartNew();
                await Task.Delay(TimeSpan.FromSeconds(options.Seconds));
                var (calls1, silo1, bench1, requests1) = (await CallsAsync(row), fleet.Cluster.Cpu, Process.GetCurrentProcess().TotalProcessorTime, counts.Snapshot());
                var elapsed = clock.Elapsed.TotalSeconds;
                var partitions = await Task.WhenAll(row.Select(e => e.PartitionsAsync()));
                await stop.CancelAsync();
                await load;

                var requests = requests1.Total - requests0.Total;
                var calls = calls1.Calls - calls0.Calls;
                var siloCpu = (silo1 - silo0).TotalMilliseconds;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {silos} | {n} | {rate} | {requests / elapsed:F0} | {requests1.Rejected - requests0.Rejected} | {requests1.Failed - requests0.Failed} | {partitions.Sum()} | {calls / elapsed:F0} | {calls / elapsed / n:F0} | {calls * 1000.0 / Math.Max(1, requests):F1} | {siloCpu / elapsed / 10:F1} | {siloCpu * 1000 / Math.Max(1, requests):F1} | {(bench1 - bench0).TotalMilliseconds / elapsed / 10:F0} | {LoadAverage1()} |"));
            }
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

static async Task<(long Calls, long RequestPath, long Settlements, long Expiry)> CallsAsync(IEnumerable<Edge> edges)
{
    long calls = 0, requestPath = 0, settlements = 0, expiry = 0;
    foreach (var edge in edges)
    {
        var diag = await edge.Diagnostics.GetFromJsonAsync<JsonElement>("/diag/ratelimits");
        calls += diag.GetProperty("grainCalls").GetInt64();
        requestPath += diag.GetProperty("requestPathGrainCalls").GetInt64();
        settlements += diag.GetProperty("settlements").GetInt64();
        expiry += diag.GetProperty("expirySettlements").GetInt64();
    }

    return (calls, requestPath, settlements, expiry);
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

static string LoadAverage1() => LoadAverage().Split(' ')[0];

static string Routes(int backendPort, Args options)
{
    var routes = new StringBuilder($"""
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
    foreach (var n in Fleet.EdgeCounts)
    {
        // One policy per row, so each row starts with a fresh bucket.
        Ingress($"edges-{n}", options.Limit, options.Burst, null);
    }

    Ingress("keys", options.KeyLimit, options.KeyLimit, "header:X-Api-Key");
    Ingress("clients", options.KeyLimit, options.KeyLimit, "client-ip");
    // An unlimited host to warm the process up on (JIT, connection pools), and the unlimited baseline.
    Ingress("warm-up", null, null, null);
    return routes.ToString();

    void Ingress(string name, int? limit, int? burst, string? key)
    {
        var keyAnnotation = key is null ? "" : $", orleans-proxy.io/rate-limit-key: \"{key}\"";
        var annotations = limit is null ? "{}" : string.Create(CultureInfo.InvariantCulture,
            $$"""{ orleans-proxy.io/rate-limit-rps: "{{limit}}", orleans-proxy.io/rate-limit-burst: "{{burst}}"{{keyAnnotation}} }""");
        routes.Append(CultureInfo.InvariantCulture, $$"""
            ---
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata:
              name: {{name}}
              namespace: bench
              annotations: {{annotations}}
            spec:
              rules:
              - host: {{name}}.bench
                http:
                  paths: [{ path: /, pathType: Prefix, backend: { service: { name: web, port: { number: 80 } } } }]

            """);
    }
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

internal sealed record Args(int Limit, int Burst, int Seconds, int Workers, int Keys, int KeyLimit, int Heavy, bool Sweep, int Rate, int Partitions)
{
    /// <summary>Heavy hitters are sent at this multiple of their limit, by this many paced workers each.</summary>
    public const int HeavyFactor = 3;
    public const int HeavyWorkers = 4;

    public const int SettleSeconds = 2;
    public const int FirstSettleSeconds = 8;

    /// <summary>Enough paced workers that answers slowed by a loaded machine do not lower the rate sent.</summary>
    public const int PacedWorkers = 64;

    public static Args Parse(string[] args)
    {
        int Read(string name, int fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var v) && v >= 0 ? v : fallback;
        }

        var limit = Math.Max(1, Read("--limit", 500));
        var keys = Array.IndexOf(args, "--keys") >= 0 ? Math.Min(Read("--keys", 100_000), 131_072) : 0;
        return new Args(limit, Math.Max(1, Read("--burst", limit)), Math.Clamp(Read("--seconds", 10), 1, 60), Math.Clamp(Read("--workers", 16), 1, 64), keys,
            Math.Max(1, Read("--key-limit", 20)), Math.Min(Read("--heavy", 5), 20), Array.IndexOf(args, "--sweep") >= 0,
            Math.Clamp(Read("--rate", 500), 1, 5000), Math.Clamp(Read("--partitions", 100), 1, 10_000));
    }
}

internal sealed record KeysRun(Counts Random, Counts[] Heavy, double Seconds)
{
    public long Requests => Random.Snapshot().Total + Heavy.Sum(h => h.Snapshot().Total);
}

/// <summary>The header a request carries (an API key, or X-Forwarded-For as a trusted proxy writes it), its value drawn at random from the pool.</summary>
internal sealed record KeyPool(string Header, string[] Values)
{
    private readonly bool[] _seen = new bool[Values.Length];

    public int Distinct => _seen.Count(s => s);

    public string Next()
    {
        var i = Random.Shared.Next(Values.Length);
        _seen[i] = true;
        return Values[i];
    }
}

internal static class Load
{
    /// <summary>Each worker sends its next request when the previous one has been answered.</summary>
    public static Task ClosedAsync(IReadOnlyList<Edge> row, string host, KeyPool? keys, int workers, Counts counts, CancellationToken stop) =>
        Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await SendAsync(row[w % row.Count], host, keys, counts, stop);
            }
        })));

    /// <summary>
    /// Request i leaves at start + i / rate, never sooner (later only when every worker is waiting for
    /// an answer), so the demand does not follow how fast the answers come; requests go round the edges.
    /// </summary>
    public static Task PacedAsync(IReadOnlyList<Edge> row, string host, KeyPool keys, double rate, int workers, Counts counts, CancellationToken stop)
    {
        var next = -1L;
        var clock = Stopwatch.StartNew();
        return Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var i = Interlocked.Increment(ref next);
                var wait = TimeSpan.FromSeconds(i / rate) - clock.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    try
                    {
                        await Task.Delay(wait, stop);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }

                await SendAsync(row[(int)(i % row.Count)], host, keys, counts, stop);
            }
        })));
    }

    private static async Task SendAsync(Edge edge, string host, KeyPool? keys, Counts counts, CancellationToken stop)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Host = host;
        if (keys is not null)
        {
            request.Headers.TryAddWithoutValidation(keys.Header, keys.Next());
        }

        try
        {
            using var response = await edge.Public.SendAsync(request, stop);
            counts.Add(response.StatusCode);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (HttpRequestException)
        {
            counts.Fail();
        }
    }
}

/// <summary>A silo cluster (processes of their own) and the edges, each an Orleans client of one silo's gateway, warmed up.</summary>
internal sealed class Fleet : IAsyncDisposable
{
    public static readonly int[] EdgeCounts = [1, 2, 4, 8];

    private Fleet(SiloCluster cluster, List<Edge> edges) => (Cluster, Edges) = (cluster, edges);

    public SiloCluster Cluster { get; }

    public IReadOnlyList<Edge> Edges { get; }

    public static async Task<Fleet> StartAsync(string routes, int silos, int edges, int workers)
    {
        var cluster = await SiloCluster.StartAsync(routes, silos);
        var started = new List<Edge>();
        for (var i = 0; i < edges; i++)
        {
            started.Add(await Edge.StartAsync(cluster.Silos[i % silos].GatewayPort));
        }

        foreach (var edge in started)
        {
            await edge.WaitForRouteAsync("warm-up.bench");
        }

        using var warmUp = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        await Load.ClosedAsync(started, "warm-up.bench", null, workers, new Counts(), warmUp.Token);
        return new Fleet(cluster, started);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var edge in Edges)
        {
            await edge.DisposeAsync();
        }

        await Cluster.DisposeAsync();
    }
}

/// <summary>
/// Memory sampled every second over a row: this process (edges, backend, load), the silos, the
/// partitions each edge holds and the bucket grains activated; with marks at the points that matter.
/// </summary>
internal sealed class MemoryCurve : IAsyncDisposable
{
    private readonly Fleet _fleet;
    private readonly IReadOnlyList<Edge> _row;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly SemaphoreSlim _sampling = new(1, 1);
    private readonly List<Sample> _samples = [];
    private readonly List<(string Label, Sample Sample)> _marks = [];
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    private MemoryCurve(Fleet fleet, IReadOnlyList<Edge> row) => (_fleet, _row) = (fleet, row);

    public static MemoryCurve Start(Fleet fleet, IReadOnlyList<Edge> row)
    {
        var curve = new MemoryCurve(fleet, row);
        curve._loop = curve.LoopAsync();
        return curve;
    }

    public async Task MarkAsync(string label) => _marks.Add((label, await SampleAsync()));

    /// <summary>What each process still holds once garbage is collected: RSS alone stays up after a peak (the GC keeps memory it may need again).</summary>
    public async Task MarkAfterFullCollectionAsync()
    {
        var siloHeap = await _fleet.Cluster.CollectAsync();
        var benchHeap = GC.GetTotalMemory(forceFullCollection: true);
        _marks.Add(("after a full GC in each process", await SampleAsync() with { GcHeap = benchHeap, SiloHeap = siloHeap }));
    }

    /// <summary>Until the edges hold no partition and the silos no bucket grain, or <paramref name="limit"/>.</summary>
    public async Task WaitForIdleAsync(TimeSpan limit)
    {
        var deadline = _clock.Elapsed + limit;
        var partitionsGone = false;
        while (_clock.Elapsed < deadline)
        {
            var sample = await SampleAsync();
            if (!partitionsGone && sample.Partitions.Sum() == 0)
            {
                partitionsGone = true;
                _marks.Add(("partitions gone", sample));
            }

            if (partitionsGone && sample.BucketGrains == 0)
            {
                _marks.Add(("bucket grains gone", sample));
                return;
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        _marks.Add(($"still there after {limit.TotalSeconds:F0} s idle", await SampleAsync()));
    }

    public string Render(string title)
    {
        static string Mb(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:F0}");
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{title}:");
        text.AppendLine();
        text.AppendLine("| point | s | bench RSS MB | bench GC heap MB | silo RSS MB | silo GC heap MB | partitions per edge | bucket grains |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (label, s) in _marks)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {label} | {s.Seconds:F0} | {Mb(s.BenchRss)} | {Mb(s.GcHeap)} | {Mb(s.SiloRss)} | {(s.SiloHeap is { } heap ? Mb(heap) : "-")} | {string.Join(" / ", s.Partitions)} | {s.BucketGrains} |");
        }

        lock (_samples)
        {
            var all = _samples.Concat(_marks.Select(m => m.Sample)).ToList();
            var peakPartitions = Enumerable.Range(0, _row.Count).Select(i => all.Max(s => s.Partitions[i]));
            text.AppendLine(CultureInfo.InvariantCulture, $"| peak (each column) | | {Mb(all.Max(s => s.BenchRss))} | {Mb(all.Max(s => s.GcHeap))} | {Mb(all.Max(s => s.SiloRss))} | - | {string.Join(" / ", peakPartitions)} | {all.Max(s => s.BucketGrains)} |");
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture,
                $"bench RSS / silo RSS MB every 2 s: {string.Join(' ', _samples.Where((_, i) => i % 2 == 0).Select(s => $"{Mb(s.BenchRss)}/{Mb(s.SiloRss)}"))}");
        }

        return text.ToString();
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var sample = await SampleAsync();
            lock (_samples)
            {
                _samples.Add(sample);
            }

            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<Sample> SampleAsync()
    {
        await _sampling.WaitAsync();
        try
        {
            var statistics = await _row[0].Grains.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics();
            var grains = statistics.Where(s => s.GrainType.Contains("RateLimitGrain", StringComparison.Ordinal)).Sum(s => s.ActivationCount);
            return new Sample(_clock.Elapsed.TotalSeconds, Environment.WorkingSet, GC.GetGCMemoryInfo().HeapSizeBytes, _fleet.Cluster.Rss, await Task.WhenAll(_row.Select(e => e.PartitionsAsync())), grains);
        }
        finally
        {
            _sampling.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
        _sampling.Dispose();
    }

    private sealed record Sample(double Seconds, long BenchRss, long GcHeap, long SiloRss, int[] Partitions, int BucketGrains, long? SiloHeap = null);
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

    public IGrainFactory Grains => _app.Services.GetRequiredService<IGrainFactory>();

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
            // The load comes from 127.0.0.1 and writes X-Forwarded-For as a trusted proxy would.
            ["RateLimiting:TrustedProxies:0"] = "127.0.0.1",
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

    /// <summary>The rate-limit partitions this edge holds.</summary>
    public async Task<int> PartitionsAsync() =>
        (await Diagnostics.GetFromJsonAsync<JsonElement>("/diag/ratelimits")).GetProperty("partitions").GetInt32();

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
    private long _failed;

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
                Interlocked.Increment(ref _failed);
                break;
        }
    }

    /// <summary>A request that got no answer (a connection error).</summary>
    public void Fail() => Interlocked.Increment(ref _failed);

    public Snapshot Snapshot() => new(Interlocked.Read(ref _admitted), Interlocked.Read(ref _rejected), Interlocked.Read(ref _failed));
}

/// <summary>Requests admitted (200), refused (429), and failed (any other answer, or none).</summary>
internal readonly record struct Snapshot(long Admitted, long Rejected, long Failed)
{
    public long Total => Admitted + Rejected + Failed;
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
