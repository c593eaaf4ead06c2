using System.Collections.Immutable;
using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Orleans.Proxy.Diagnostics;
using Orleans.Proxy.Edge.Authentication;
using Orleans.Proxy.Edge.Cors;
using Orleans.Proxy.Edge.Health;
using Orleans.Proxy.Edge.Hosting;
using Orleans.Proxy.Edge.HttpRoutes;
using Orleans.Proxy.Edge.IngressFeatures;
using Orleans.Proxy.Edge.IngressNginx;
using Orleans.Proxy.Edge.Matching;
using Orleans.Proxy.Edge.Routing;
using Orleans.Proxy.Routing;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;

// The edge's apply path in one process, without a silo: a table of N hosts shaped like
// bench/scale's (hN.scale.local: Prefix /a and Exact /b, a cluster of three destinations), applied
// through RouteTableCache, YARP and the matcher on a loopback WebApplication; then one host changes
// again and again (a path /v/N added, the previous one gone, as the churn scenario), and each stage
// is timed and its allocations counted; then the same with a setting of its own on the new path (its
// own body-size limit), a change YARP's configuration must take. Usage: EdgeApply [--hosts 10000] [--changes 200]
var hostCount = Option("--hosts", 10_000);
var changes = Option("--changes", 200);
const int Warmup = 20;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
builder.Logging.SetMinimumLevel(LogLevel.Warning).AddFilter("Yarp.ReverseProxy.Forwarder", LogLevel.None);
builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
builder.Services.AddMetrics();
builder.Services.AddSingleton<ProxyMetrics>();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddOptions<EdgeOptions>().Configure(o => o.Id = "bench");
builder.Services.AddSingleton<EdgeIdentity>();
builder.Services.AddSingleton<BackendStates>();
builder.Services.AddSingleton<RouteTableCache>();
// The health policy every cluster names (its grain sync is left out: no silo here).
builder.Services.AddSingleton<BackendHealthCache>();
builder.Services.AddSingleton<IAvailableDestinationsPolicy, VerdictDestinationsPolicy>();
builder.Services.AddReverseProxy().LoadFromMemory([], []).AddIngressFeatures().AddIngressNginx().AddEdgeCors()
    .AddEdgeAuthentication(builder.Configuration).AddHttpRoutes(builder.Configuration).AddRouteMatching(builder.Configuration).AddConfigValidationCache();
var app = builder.Build();
app.UseRouteMatching();
app.UseRouting();
app.MapMatchedReverseProxy(proxy => proxy.UseLoadBalancing());
app.RunMatchedRoute();
await app.StartAsync();
var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
using var client = new HttpClient { BaseAddress = new Uri(address) };

var cache = app.Services.GetRequiredService<RouteTableCache>();
var matcher = app.Services.GetRequiredService<RouteMatcher>();
var yarp = app.Services.GetRequiredService<InMemoryConfigProvider>();

var hosts = ImmutableDictionary.CreateRange(StringComparer.Ordinal, Enumerable.Range(0, hostCount).Select(i => KeyValuePair.Create(HostName(i), Host(i, 1, null))));
var backends = ImmutableDictionary.CreateRange(StringComparer.Ordinal, Enumerable.Range(0, hostCount).Select(i => KeyValuePair.Create(ClusterId(i), Backend(i))));
var catalog = new CatalogSnapshot(1, hosts.ToImmutableDictionary(h => h.Key, h => h.Value.Version, StringComparer.Ordinal),
    backends.ToImmutableDictionary(b => b.Key, b => b.Value.Version, StringComparer.Ordinal), []);
var table = new RouteTable(catalog, hosts, backends);

var initial = Measure(() => cache.ApplyAsync(table));
Console.WriteLine($"{hostCount} hosts, {table.Hosts.Values.Sum(h => h.Routes.Length)} routes, {backends.Count} backends: first apply {initial.Ms:F0} ms, {initial.Bytes / 1e6:F0} MB allocated");
await Expect("/a", HostName(1), served: true);

var churned = hostCount / 2;

// The keys the catalog's deltas named, as CatalogSync hands them to the cache.
string[] changedHosts = [HostName(churned)];
var generation = 1L;

// As the edge runs: one change after another, garbage collected when the runtime decides.
var asServed = new List<Sample>();
var (gen2Before, pausedBefore) = (GC.CollectionCount(2), GC.GetTotalPauseDuration());
for (var n = 1; n <= Warmup + changes; n++)
{
    var sample = Measure(() => cache.ApplyAsync(Merge(), changedHosts, []));
    if (n == Warmup)
    {
        (gen2Before, pausedBefore) = (GC.CollectionCount(2), GC.GetTotalPauseDuration());
    }
    else if (n > Warmup)
    {
        asServed.Add(sample);
    }
}

var (gen2, paused) = (GC.CollectionCount(2) - gen2Before, (GC.GetTotalPauseDuration() - pausedBefore).TotalMilliseconds);
var rss = Environment.WorkingSet;
await Expect($"/v/{generation}", HostName(churned), served: true);
await Expect($"/v/{generation - 1}", HostName(churned), served: false);
await Expect("/a", HostName(churned + 1), served: true);

// The same, the new path with a setting no other route has: YARP's configuration changes with each.
var settingsChanged = new List<Sample>();
for (var n = 1; n <= Warmup + changes; n++)
{
    var sample = Measure(() => cache.ApplyAsync(Merge(ownSetting: true), changedHosts, []));
    if (n > Warmup)
    {
        settingsChanged.Add(sample);
    }
}

await Expect($"/v/{generation}", HostName(churned), served: true);
await Expect($"/v/{generation - 1}", HostName(churned), served: false);

// Each stage alone, after a full collection: its own cost, without the collections of earlier garbage.
var stages = new Dictionary<string, List<Sample>>(StringComparer.Ordinal)
{
    ["catalog merge"] = [], ["RouteTableCache.ApplyAsync"] = [], ["  of which MatchTable.With"] = [], ["ApplyAsync, own setting"] = [], ["YARP Update alone"] = [],
};
var config = yarp.GetConfig();
var routes = config.Routes.ToList();
// Any route: YARP's routes name no backend, and its update walks them all whichever changed.
const int at = 0;
for (var n = 1; n <= Warmup + changes; n++)
{
    Collect();
    RouteTable? next = null;
    var merge = Measure(() =>
    {
        next = Merge();
        return Task.CompletedTask;
    });
    Collect();
    var apply = Measure(() => cache.ApplyAsync(next!, changedHosts, []));

    // YARP's update alone: the configuration served with one route's metadata changed (the apply with a setting of its own, below, restores it).
    var previous = routes[at];
    routes[at] = previous with { Metadata = new Dictionary<string, string>(previous.Metadata ?? new Dictionary<string, string>()) { ["bench"] = $"{n}" } };
    Collect();
    var update = Measure(() =>
    {
        yarp.Update(routes, config.Clusters);
        return Task.CompletedTask;
    });
    routes[at] = previous;

    var withHost = next!.Hosts.SetItem(HostName(churned), Host(churned, generation + 1, -n));
    Collect();
    var match = Measure(() =>
    {
        GC.KeepAlive(matcher.Table.With(withHost, [HostName(churned)], key => new string?[withHost[key].Routes.Length]));
        return Task.CompletedTask;
    });

    var withOwnSetting = Merge(ownSetting: true);
    Collect();
    var withSetting = Measure(() => cache.ApplyAsync(withOwnSetting, changedHosts, []));
    if (n > Warmup)
    {
        stages["catalog merge"].Add(merge);
        stages["RouteTableCache.ApplyAsync"].Add(apply);
        stages["  of which MatchTable.With"].Add(match);
        stages["ApplyAsync, own setting"].Add(withSetting);
        stages["YARP Update alone"].Add(update);
    }

    // The next change starts from what is served (the table, not YARP's configuration changed above).
    config = yarp.GetConfig();
    routes = [.. config.Routes];
}

Console.WriteLine($"one-host change at {hostCount} hosts, {changes} changes after {Warmup} of warm-up:");
Console.WriteLine($"{"",-30} {"p50 ms",8} {"p99 ms",8} {"mean ms",8} {"CPU ms",8} {"alloc KB/change",16}");
Print("as served (GC included)", asServed);
Console.WriteLine($"  {gen2 * 100.0 / changes:F0} gen2 collections per 100 changes, GC pauses {paused / changes:F1} ms per change, RSS after {Warmup + changes} changes {rss / 1e6:F0} MB");
Print("with a setting of its own", settingsChanged);
Console.WriteLine("each stage alone (full collection before):");
foreach (var (stage, samples) in stages)
{
    Print(stage, samples);
}

Console.WriteLine($"after {4 * (Warmup + changes)} changes: RSS {Environment.WorkingSet / 1e6:F0} MB, GC heap {GC.GetGCMemoryInfo().HeapSizeBytes / 1e6:F0} MB");
await app.StopAsync();
return 0;

// What CatalogSync does for a push of one host (the delta names it): the stale check, the fetch (here: the new value), the merge.
RouteTable Merge(bool ownSetting = false)
{
    generation++;
    var key = HostName(churned);
    var value = Host(churned, generation, (int)generation, ownSetting);
    var next = table.Catalog with { Generation = generation, Hosts = table.Catalog.Hosts.SetItem(key, value.Version) };
    string[] hostsChanged = [key];
    var stale = CatalogSync.Stale(next.Hosts, table.Hosts, h => h.Version, hostsChanged);
    var merged = CatalogSync.Merge(next.Hosts, table.Hosts, stale.Select(s => (s.Key, s.Value, value)), h => h.Version, hostsChanged, (_, _, _) => { });
    var staleBackends = CatalogSync.Stale(next.Backends, table.Backends, b => b.Version, []);
    table = new RouteTable(next, merged, CatalogSync.Merge(next.Backends, table.Backends, staleBackends.Select(s => (s.Key, s.Value, table.Backends[s.Key])), b => b.Version, [], (_, _, _) => { }));
    return table;
}

static void Collect() => GC.Collect();

static void Print(string stage, List<Sample> samples)
{
    var ms = samples.Select(s => s.Ms).Order().ToArray();
    Console.WriteLine($"{stage,-30} {ms[ms.Length / 2],8:F2} {ms[(int)Math.Ceiling(ms.Length * 0.99) - 1],8:F2} {ms.Average(),8:F2} {samples.Average(s => s.CpuMs),8:F2} {samples.Average(s => s.Bytes) / 1024,16:F0}");
}

static Sample Measure(Func<Task> action)
{
    var bytes = GC.GetTotalAllocatedBytes(precise: true);
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    var started = Stopwatch.GetTimestamp();
    action().GetAwaiter().GetResult();
    var elapsed = Stopwatch.GetElapsedTime(started);
    return new Sample(elapsed.TotalMilliseconds, (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds, GC.GetTotalAllocatedBytes(precise: true) - bytes);
}

// Served: the route matched (the proxy answers 502, nothing listens on the destinations); else 404.
async Task Expect(string path, string host, bool served)
{
    using var request = new HttpRequestMessage(HttpMethod.Get, path);
    request.Headers.Host = host;
    using var response = await client.SendAsync(request);
    if ((response.StatusCode != HttpStatusCode.NotFound) != served)
    {
        throw new InvalidOperationException($"{host}{path}: {(int)response.StatusCode}, expected {(served ? "served" : "404")}");
    }
}

int Option(string name, int fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() is { } value ? int.Parse(value, System.Globalization.CultureInfo.InvariantCulture) : fallback;

static string HostName(int i) => $"h{i}.scale.local";

static string ClusterId(int i) => $"bench/svc{i}:80";

// The churned host also has Exact /v/N, its id new with each change; with its own setting, a body-size limit of N bytes.
static HostRoutes Host(int i, long version, int? churn, bool ownSetting = false)
{
    var host = HostName(i);
    var routes = ImmutableArray.Create(
        new RouteSpec($"bench/{host}#0.0", host, "/a", PathMatchKind.Prefix, [], [], ClusterId(i), $"Ingress bench/{host}"),
        new RouteSpec($"bench/{host}#0.1", host, "/b", PathMatchKind.Exact, [], [], ClusterId(i), $"Ingress bench/{host}"));
    return new HostRoutes(host, version, churn is { } n
        ? routes.Add(new RouteSpec($"bench/{host}#0.v{n}", host, $"/v/{n}", PathMatchKind.Exact, [], [], ClusterId(i), $"Ingress bench/{host}")
        {
            MaxRequestBodySize = ownSetting ? n : null,
        })
        : routes);
}

static BackendSpec Backend(int i) => new(ClusterId(i), 1, [.. Enumerable.Range(1, 3).Select(d => new DestinationSpec($"127.0.0.{d}:9", $"http://127.0.0.{d}:9"))]);

/// <summary>One stage once: wall time, CPU time of the whole process (GC included; the machine's other load moves it less), bytes allocated.</summary>
internal readonly record struct Sample(double Ms, double CpuMs, long Bytes);
