using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Proxy.Edge.Hosting;
using Orleans.Proxy.Silo.Hosting;

// Cache bench: a backend taking 5 ms per response (1 KiB, Cache-Control: public, max-age=3600);
// our edge, nginx proxy_cache and Varnish in front of it; wrk for hits (one URL), misses (a new URL
// every request) and a Zipf mix over 10,000 URLs; backend requests per 1,000 client requests; then
// the Zipf mix on 1 and 4 replicas of each (our edges share one silo; nginx and Varnish instances
// cache on their own, as replicas do), each from a cold cache.
var seconds = ReadArg("--seconds", 10);
var connections = ReadArg("--connections", 32);
using var temp = new TempFolder();
// Varnish's workers run as its own user: they must reach the working folder.
if (!OperatingSystem.IsWindows())
{
    File.SetUnixFileMode(temp.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
}

var backendPort = FreePort();
var routes = """
    apiVersion: v1
    kind: Service
    metadata: {name: web, namespace: bench}
    spec:
      ports: [{name: http, port: 80}]
    ---
    apiVersion: discovery.k8s.io/v1
    kind: EndpointSlice
    metadata:
      name: web
      namespace: bench
      labels: {kubernetes.io/service-name: web}
    addressType: IPv4
    ports: [{name: http, port: BACKEND_PORT}]
    endpoints: [{addresses: ["127.0.0.1"]}]
    ---
    apiVersion: networking.k8s.io/v1
    kind: Ingress
    metadata:
      name: cached
      namespace: bench
      annotations: {orleans-proxy.io/cache: "true"}
    spec:
      rules:
      - host: cache.bench
        http:
          paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]

    """.Replace("BACKEND_PORT", backendPort.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
Directory.CreateDirectory(Path.Combine(temp.Path, "routes"));
File.WriteAllText(Path.Combine(temp.Path, "routes", "routes.yaml"), routes);

var backend = await Backend.StartAsync(backendPort);
var (siloPort, gatewayPort) = (FreePort(), FreePort());
using var silo = await StartSiloAsync(Path.Combine(temp.Path, "routes"), siloPort, gatewayPort);
var edges = new List<Edge>();
for (var i = 0; i < 4; i++)
{
    edges.Add(await Edge.StartAsync(gatewayPort));
}

foreach (var edge in edges)
{
    await edge.WaitForRouteAsync();
}

// Four instances of each, as four replicas would run: each caches on its own.
var nginxPorts = Enumerable.Range(0, 4).Select(_ => FreePort()).ToList();
var varnishPorts = Enumerable.Range(0, 4).Select(_ => FreePort()).ToList();
var daemons = nginxPorts.Select((port, i) => StartNginx(temp.Path, $"nginx{i}", port, backendPort))
    .Concat(varnishPorts.Select((port, i) => StartVarnish(temp.Path, $"varnish{i}", port, backendPort)))
    .ToList();
foreach (var port in nginxPorts.Concat(varnishPorts))
{
    await WaitForAsync(port);
}

var (nginxPort, varnishPort) = (nginxPorts[0], varnishPorts[0]);

Console.WriteLine($"backend: 5 ms per response, 1 KiB bodies, max-age=3600; wrk -t1 -c{connections} -d{seconds}s; {Environment.ProcessorCount} cores shared by everything (wrk, proxies, backend, silo)");
Console.WriteLine();
Console.WriteLine("| proxy | workload | requests/s | p99 | backend requests / 1,000 |");
Console.WriteLine("|---|---|---:|---:|---:|");
var targets = new (string Name, int Port)[] { ("orleans-proxy edge", edges[0].Port), ("nginx proxy_cache", nginxPort), ("Varnish", varnishPort) };
var run = 0;
foreach (var (name, port) in targets)
{
    // Warm-up (JIT, connection pools), and the one URL of the hit workload stored.
    await Wrk(port, "/warm", 3, connections, "miss.lua");
    await Wrk(port, "/hit", 1, 1, null);
    foreach (var (workload, path, script) in new (string, string, string?)[] { ("hits (one URL)", "/hit", null), ("misses (new URL each)", $"/miss{run}", "miss.lua"), ("Zipf s=1 over 10,000 URLs", $"/zipf{run}", "zipf.lua") })
    {
        var before = backend.Requests;
        var result = await Wrk(port, path, seconds, connections, script);
        var fetched = backend.Requests - before;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {workload} | {result.RequestsPerSecond:F0} | {result.P99} | {fetched * 1000.0 / Math.Max(1, result.Requests):F1} |"));
    }

    run++;
}

Console.WriteLine();
Console.WriteLine("Zipf s=1 over 10,000 URLs from a cold cache, the load spread over the replicas (one wrk per replica, connections split):");
Console.WriteLine();
Console.WriteLine("| proxy | replicas | requests/s | backend requests / 1,000 | distinct URLs fetched | backend requests per URL fetched |");
Console.WriteLine("|---|---:|---:|---:|---:|---:|");
var fleets = new (string Name, IReadOnlyList<int> Ports)[] { ("orleans-proxy edge", [.. edges.Select(e => e.Port)]), ("nginx proxy_cache", nginxPorts), ("Varnish", varnishPorts) };
for (var f = 0; f < fleets.Length; f++)
{
    var (name, ports) = fleets[f];
    foreach (var n in new[] { 1, 4 })
    {
        var before = backend.Requests;
        var distinctBefore = backend.Distinct;
        // A path no earlier measurement used, so every replica starts cold for it.
        var results = await Task.WhenAll(ports.Take(n).Select(port => Wrk(port, $"/fleet-{f}-{n}", seconds, Math.Max(1, connections / n), "zipf.lua")));
        var requests = results.Sum(r => r.Requests);
        var (fetched, distinct) = (backend.Requests - before, backend.Distinct - distinctBefore);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {n} | {results.Sum(r => r.RequestsPerSecond):F0} | {fetched * 1000.0 / Math.Max(1, requests):F1} | {distinct} | {fetched / (double)Math.Max(1, distinct):F2} |"));
    }
}

foreach (var daemon in daemons)
{
    daemon.Dispose();
}

foreach (var edge in edges)
{
    await edge.DisposeAsync();
}

await backend.DisposeAsync();
return;

static int ReadArg(string name, int fallback)
{
    var args = Environment.GetCommandLineArgs();
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var v) && v > 0 ? Math.Min(v, 120) : fallback;
}

static async Task<WrkResult> Wrk(int port, string path, int seconds, int connections, string? script)
{
    var arguments = new List<string> { "-t1", $"-c{connections}", $"-d{seconds}s", "--latency", "--timeout", "5s", "-H", "Host: cache.bench" };
    if (script is not null)
    {
        arguments.AddRange(["-s", Path.Combine(AppContext.BaseDirectory, script)]);
    }

    arguments.Add($"http://127.0.0.1:{port}{path}");
    var start = new ProcessStartInfo("wrk", arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
    start.Environment["ZIPF_URLS"] = "10000";
    using var process = Process.Start(start)!;
    var output = await process.StandardOutput.ReadToEndAsync();
    await process.WaitForExitAsync();
    var rps = Regex.Match(output, @"Requests/sec:\s+([\d.]+)");
    var total = Regex.Match(output, @"(\d+) requests in");
    var p99 = Regex.Match(output, @"99%\s+([\d.]+\w+)");
    if (!rps.Success || !total.Success)
    {
        throw new InvalidOperationException($"wrk said: {output} {await process.StandardError.ReadToEndAsync()}");
    }

    return new WrkResult(double.Parse(rps.Groups[1].Value, CultureInfo.InvariantCulture), long.Parse(total.Groups[1].Value, CultureInfo.InvariantCulture), p99.Success ? p99.Groups[1].Value : "-");
}

static async Task WaitForAsync(int port)
{
    using var http = new HttpClient();
    for (var i = 0; i < 100; i++)
    {
        try
        {
            await http.GetAsync(new Uri($"http://127.0.0.1:{port}/ready"));
            return;
        }
        catch (HttpRequestException)
        {
            await Task.Delay(100);
        }
    }

    throw new TimeoutException($"nothing listens on {port}");
}

static Daemon StartNginx(string temp, string name, int port, int backendPort)
{
    var dir = Path.Combine(temp, name);
    Directory.CreateDirectory(dir);
    File.WriteAllText(Path.Combine(dir, "nginx.conf"), $$"""
        daemon off;
        worker_processes auto;
        pid {{dir}}/nginx.pid;
        error_log {{dir}}/error.log warn;
        events { worker_connections 4096; }
        http {
          access_log off;
          client_body_temp_path {{dir}}/body;
          proxy_temp_path {{dir}}/proxy;
          fastcgi_temp_path {{dir}}/fastcgi;
          uwsgi_temp_path {{dir}}/uwsgi;
          scgi_temp_path {{dir}}/scgi;
          proxy_cache_path {{dir}}/cache levels=1:2 keys_zone=bench:64m max_size=1g inactive=1h use_temp_path=off;
          upstream backend { server 127.0.0.1:{{backendPort}}; keepalive 64; }
          server {
            listen 127.0.0.1:{{port}};
            location / {
              proxy_pass http://backend;
              proxy_http_version 1.1;
              proxy_set_header Connection "";
              proxy_cache bench;
              proxy_cache_key $host$request_uri;
              proxy_cache_lock on;
            }
          }
        }
        """);
    return Daemon.Start("nginx", ["-c", Path.Combine(dir, "nginx.conf"), "-p", dir]);
}

static Daemon StartVarnish(string temp, string name, int port, int backendPort)
{
    var dir = Path.Combine(temp, name);
    Directory.CreateDirectory(dir);
    var varnishd = File.Exists("/usr/sbin/varnishd") ? "/usr/sbin/varnishd" : "varnishd";
    // Built-in VCL: caches by Cache-Control, collapses concurrent misses (waiting list).
    return Daemon.Start(varnishd, ["-F", "-a", $"127.0.0.1:{port}", "-b", $"127.0.0.1:{backendPort}", "-n", dir, "-s", "malloc,256m"]);
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
        ["Diagnostics:Port"] = $"{FreePort()}",
        ["Diagnostics:Insecure"] = "true",
    });
    builder.AddOrleansProxySilo();
    var host = builder.Build();
    await host.StartAsync();
    return host;
}

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

internal sealed record WrkResult(double RequestsPerSecond, long Requests, string P99);

/// <summary>A process stopped (and waited for) on dispose.</summary>
internal sealed class Daemon : IDisposable
{
    private readonly Process _process;

    private Daemon(Process process) => _process = process;

    public static Daemon Start(string file, IEnumerable<string> arguments)
    {
        // Their start-up chatter is read and dropped, so the table stays readable.
        var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new Daemon(process);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }
}

/// <summary>The origin: 5 ms per response, counting requests and distinct paths.</summary>
internal sealed class Backend : IAsyncDisposable
{
    private static readonly byte[] Body = new byte[1024];
    private readonly WebApplication _app;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _paths = new(StringComparer.Ordinal);
    private long _requests;

    private Backend(WebApplication app) => _app = app;

    public long Requests => Interlocked.Read(ref _requests);

    public int Distinct => _paths.Count;

    public static async Task<Backend> StartAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var backend = new Backend(app);
        app.Run(async context =>
        {
            Interlocked.Increment(ref backend._requests);
            backend._paths.TryAdd(context.Request.Path.Value ?? "/", 0);
            await Task.Delay(5);
            context.Response.Headers.CacheControl = "public, max-age=3600";
            context.Response.ContentType = "application/octet-stream";
            context.Response.ContentLength = Body.Length;
            await context.Response.Body.WriteAsync(Body);
        });
        await app.StartAsync();
        return backend;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>An edge as an Orleans client of the silo, on its own loopback listeners, without the access log.</summary>
internal sealed class Edge : IAsyncDisposable
{
    private readonly WebApplication _app;

    private Edge(WebApplication app, int port, int diagnosticsPort)
    {
        _app = app;
        Port = port;
        Diagnostics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{diagnosticsPort}") };
    }

    public int Port { get; }

    public HttpClient Diagnostics { get; }

    public static async Task<Edge> StartAsync(int gatewayPort)
    {
        var (port, diagnosticsPort) = (FreePort(), FreePort());
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
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

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async Task WaitForRouteAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!(await Diagnostics.GetAsync(new Uri("/diag/hosts/cache.bench", UriKind.Relative))).IsSuccessStatusCode)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("the edge never served cache.bench");
            }

            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Diagnostics.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("orleans-proxy-cache-bench-").FullName;

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
