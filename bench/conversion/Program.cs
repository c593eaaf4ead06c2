using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Proxy.Routing;
using Orleans.Proxy.Silo.Publishing;
using Orleans.Proxy.Silo.RouteSources.Files;
using Orleans.Proxy.Translation.Ingress;
using Orleans.Proxy.Translation.Ingress.LastGood;

// The table of bench/scale/scale.py: each Ingress its own host with Prefix /a and Exact /b to its own Service
// (one EndpointSlice of three endpoints), 250 per file, in a temporary folder. One change rewrites one Ingress in the
// first file and the folder is read as the file source reads it: the named file again (only its changed document is
// parsed), the other files known unchanged by their stamp.
const int HostsPerFile = 250;
var size = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
var changes = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20;

var stages = new Dictionary<string, List<double>>(StringComparer.Ordinal);
var directory = Directory.CreateTempSubdirectory("conversion-bench-").FullName;
try
{
    for (var start = 0; start < size; start += HostsPerFile)
    {
        File.WriteAllText(Path.Combine(directory, $"hosts-{start:D6}.yaml"), Table(start, Math.Min(size, start + HostsPerFile), changed: null));
    }

    var folder = new RouteFolder(directory);
    var versions = new LastGoodVersions();
    var publisher = new RoutePublisher(NullGrains.Factory(), TimeProvider.System, NullLogger<RoutePublisher>.Instance);
    var first = Stopwatch.StartNew();
    var state = versions.Convert(folder.Read(named: null).Objects, []);
    await publisher.PublishAsync(state, rewriteAll: false, CancellationToken.None);
    Console.WriteLine($"{size} Ingresses, {state.Hosts.Count} hosts, {state.Backends.Count} backends: first reading, conversion and publication {first.ElapsedMilliseconds} ms");

    var changedFile = Path.Combine(directory, "hosts-000000.yaml");
    for (var change = 1; change <= changes; change++)
    {
        File.WriteAllText(changedFile, Table(0, Math.Min(size, HostsPerFile), changed: change));
        var watch = Stopwatch.StartNew();
        var objects = folder.Read(new HashSet<string>([changedFile], StringComparer.Ordinal)).Objects;
        Lap("read the folder (RouteFolder: the named file, the others stamped)", watch);
        var full = IngressConverter.Convert(objects);
        Lap("full IngressConverter.Convert (reference)", watch);
        state = versions.Convert(objects, []);
        Lap("LastGoodVersions.Convert (what the file source runs)", watch);
        await publisher.PublishAsync(state, rewriteAll: false, CancellationToken.None);
        Lap("RoutePublisher.PublishAsync (diff, no-op grains)", watch);
        folder.Read(named: null);
        Lap("read every file (each Routes:ResyncInterval; before, each change)", watch);
        GC.KeepAlive(full);
    }
}
finally
{
    Directory.Delete(directory, recursive: true);
}

Console.WriteLine($"one Ingress changed, {changes} times (ms):");
foreach (var (stage, times) in stages)
{
    times.Sort();
    Console.WriteLine($"  {stage,-55} min {times[0],7:F1}  median {times[times.Count / 2],7:F1}  max {times[^1],7:F1}");
}

void Lap(string stage, Stopwatch watch)
{
    if (!stages.TryGetValue(stage, out var times))
    {
        stages[stage] = times = [];
    }

    times.Add(watch.Elapsed.TotalMilliseconds);
    watch.Restart();
}

static string Table(int from, int to, int? changed)
{
    var yaml = new StringBuilder();
    for (var i = from; i < to; i++)
    {
        // The change moves Ingress i{from}'s Exact path, so its host's routes differ and nothing else's do.
        var exact = i == from && changed is { } n ? $"/b{n}" : "/b";
        yaml.Append(CultureInfo.InvariantCulture, $$"""
            ---
            apiVersion: v1
            kind: Service
            metadata:
              name: s{{i}}
              namespace: bench
            spec:
              ports:
              - name: http
                port: 80
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata:
              name: s{{i}}-1
              namespace: bench
              labels:
                kubernetes.io/service-name: s{{i}}
            addressType: IPv4
            ports:
            - name: http
              port: 8080
            endpoints:
            - addresses: [127.0.0.1]
            - addresses: [127.0.0.2]
            - addresses: [127.0.0.3]
            ---
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata:
              name: i{{i}}
              namespace: bench
            spec:
              rules:
              - host: h{{i}}.scale.local
                http:
                  paths:
                  - path: /a
                    pathType: Prefix
                    backend:
                      service:
                        name: s{{i}}
                        port:
                          number: 80
                  - path: {{exact}}
                    pathType: Exact
                    backend:
                      service:
                        name: s{{i}}
                        port:
                          number: 80

            """);
    }

    return yaml.ToString();
}

/// <summary>Grains that take every write at once, so the publisher's own cost is what is measured (a proxy type cannot be sealed).</summary>
internal class NullGrains : DispatchProxy
{
    public static IGrainFactory Factory() => DispatchProxy.Create<IGrainFactory, NullGrains>();

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        var returns = targetMethod!.ReturnType;
        if (typeof(IGrain).IsAssignableFrom(returns))
        {
            return Create(returns, typeof(NullGrains));
        }

        var written = args?[0] switch
        {
            IVersioned versioned => versioned.Version,
            CatalogSnapshot catalog => catalog.Generation,
            CatalogDelta delta => delta.Generation,
            _ => throw new NotSupportedException(targetMethod.Name),
        };
        return Task.FromResult(new VersionedWrite(true, written));
    }
}
