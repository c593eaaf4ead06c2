using Microsoft.Extensions.Logging;
using Orleans.Proxy.Diagnostics;
using Orleans.Proxy.Edge.Hosting;
using Orleans.Proxy.Edge.HttpRoutes;
using Orleans.Proxy.Edge.Matching;
using Orleans.Proxy.Routing;
using Yarp.ReverseProxy.Configuration;

namespace Orleans.Proxy.Edge.Routing;

/// <summary>
/// The table this edge serves, and the only writer of YARP's configuration, of the backends' states
/// and of the matcher's table. YARP gets one route per proxy behaviour (<see cref="SharedRoutes"/>),
/// naming no backend, and an update only when a behaviour appears: a change of paths, hosts or
/// backends reaches the matcher and the changed backends' states (<see cref="BackendStates"/>) alone.
/// Each update goes through YARP's in-memory provider, which applies the difference in place: no
/// reload, open connections and in-flight requests carry on.
/// </summary>
internal sealed partial class RouteTableCache(
    InMemoryConfigProvider yarp,
    RouteMatcher matcher,
    ConfigValidationCache validator,
    BackendStates backendStates,
    TimeProvider time,
    ProxyMetrics metrics,
    EdgeIdentity identity,
    ILogger<RouteTableCache> logger)
{
    private readonly Dictionary<string, BuiltHost> _hosts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, BuiltBackend> _backends = new(StringComparer.Ordinal);
    private readonly SharedRoutes _shared = new();
    private RouteTable _table = RouteTable.Empty;

    // How many routes YARP was last given.
    private int _yarpRoutes;

    // Hosts whose routes changed since the TLS sync last took them.
    private readonly Lock _hostsChangedLock = new();
    private HashSet<string> _hostsChanged = new(StringComparer.Ordinal);

    public RouteTable Current => Volatile.Read(ref _table);

    /// <summary>The backends served, each with its state.</summary>
    public BackendStates Backends => backendStates;

    /// <summary>
    /// The table served and the hosts whose routes changed in it since the last call (one reader: the
    /// TLS sync), so a follower of the table looks at what changed, not at every host on every change.
    /// </summary>
    public (RouteTable Table, HashSet<string> Hosts) TakeHostsChanged()
    {
        lock (_hostsChangedLock)
        {
            var changed = _hostsChanged;
            _hostsChanged = new(StringComparer.Ordinal);
            return (Current, changed);
        }
    }

    /// <summary>When the current table was applied; null before the first.</summary>
    public DateTimeOffset? AppliedAt { get; private set; }

    private readonly TaskCompletionSource _firstPublished = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Completes once a table the route source published is served. Before its first publication the
    /// catalog is at generation 0, with no hosts: an edge serving that answers 404 to every request.
    /// </summary>
    public Task FirstPublished => _firstPublished.Task;

    /// <summary>Routes YARP refused, with its reason (should stay empty: the converter validates first).</summary>
    public IReadOnlyDictionary<string, string> InvalidRoutes { get; private set; } = new Dictionary<string, string>();

    /// <param name="changedHosts">The only hosts that can differ from the table served (added, changed or gone), when the caller knows them; null: any.</param>
    /// <param name="changedBackends">The same for backends.</param>
    public async Task ApplyAsync(RouteTable table, IReadOnlyCollection<string>? changedHosts = null, IReadOnlyCollection<string>? changedBackends = null)
    {
        // Only hosts and backends whose grain value changed are built and validated again: CatalogSync
        // keeps unchanged values by reference, so a change costs what changed, not the table's size.
        var hosts = await RefreshAsync(_hosts, table.Hosts, changedHosts, BuildHostAsync);
        var backends = await RefreshAsync(_backends, table.Backends, changedBackends, BuildBackendAsync);
        var invalid = hosts.Any(c => c.Previous?.Invalid.Count > 0 || _hosts.GetValueOrDefault(c.Key)?.Invalid.Count > 0)
            || backends.Any(c => c.Previous?.Invalid is not null || _backends.GetValueOrDefault(c.Key)?.Invalid is not null)
            ? _hosts.Values.Where(h => h.Invalid.Count > 0).SelectMany(h => h.Invalid)
                .Concat(_backends.Values.Where(b => b.Invalid is not null).Select(b => b.Invalid!.Value))
                .ToDictionary(i => i.Key, i => i.Value, StringComparer.Ordinal)
            : InvalidRoutes;

        // The table first: diagnostics and pipeline steps (passive health) read a route's settings
        // from it. The matcher last, once YARP has the endpoints of the new routes (until then, a
        // route without an endpoint is passed over) and the new and changed backends are served.
        // The matcher serves the previous table until then, so what the new table no longer names
        // stays: routes leave with YARP's next update, backends once the matcher moved on.
        var previous = Volatile.Read(ref _table);
        Volatile.Write(ref _table, table);
        var updated = _shared.Added;
        if (updated)
        {
            try
            {
                UpdateYarp();
            }
            catch
            {
                // YARP keeps what it held: so do the built hosts and backends and the shared routes'
                // uses, and the next apply builds these changes again.
                Volatile.Write(ref _table, previous);
                Undo(_hosts, hosts, Release);
                Undo(_backends, backends, Release);
                throw;
            }
        }

        foreach (var change in backends)
        {
            if (_backends.GetValueOrDefault(change.Key)?.Valid is { } cluster)
            {
                backendStates.Set(cluster);
            }
        }

        // What the new entries replaced is released only now, so a route whose behaviour did not change keeps its YARP route.
        Commit(hosts, Release);
        Commit(backends, Release);
        lock (_hostsChangedLock)
        {
            foreach (var change in hosts)
            {
                _hostsChanged.Add(change.Key);
            }
        }

        matcher.Apply(table, hosts.Select(c => c.Key), host => _hosts.TryGetValue(host, out var built) ? built.ProxyRouteIds : []);
        _shared.MatcherApplied();
        foreach (var change in backends)
        {
            if (_backends.GetValueOrDefault(change.Key)?.Valid is null)
            {
                backendStates.Remove(change.Key);
            }
        }

        InvalidRoutes = invalid;
        AppliedAt = time.GetUtcNow();
        if (table.Catalog.Generation > 0)
        {
            _firstPublished.TrySetResult();
        }

        metrics.ConfigApplied(identity.Id);
        if (updated)
        {
            LogApplied(table.Catalog.Generation, _yarpRoutes, backendStates.Count);
        }
        else
        {
            LogYarpUnchanged(table.Catalog.Generation, hosts.Count, backends.Count, _yarpRoutes, backendStates.Count);
        }
    }

    /// <summary>Hands YARP every shared route (and the cluster of routes without a valid backend).</summary>
    private void UpdateYarp()
    {
        var routes = _shared.ForUpdate(validator.Forget).ToList();
        yarp.Update(routes, [HttpRouteFilters.NoBackendCluster]);
        _shared.Updated();
        _yarpRoutes = routes.Count;
    }

    /// <summary>
    /// Builds the entries whose source changed (of <paramref name="keys"/>, when given), drops those
    /// gone; returns what each replaced, which stays in use until <see cref="Commit"/> releases it.
    /// </summary>
    private static async Task<List<Change<TBuilt>>> RefreshAsync<TSource, TBuilt>(
        Dictionary<string, TBuilt> built,
        IReadOnlyDictionary<string, TSource> sources,
        IReadOnlyCollection<string>? keys,
        Func<TSource, Task<TBuilt>> build)
        where TSource : class
        where TBuilt : class, IBuilt<TSource>
    {
        var changes = new List<Change<TBuilt>>();
        foreach (var key in keys ?? (IEnumerable<string>)sources.Keys)
        {
            built.TryGetValue(key, out var current);
            if (!sources.TryGetValue(key, out var source))
            {
                if (current is not null)
                {
                    built.Remove(key);
                    changes.Add(new(key, current));
                }

                continue;
            }

            if (current is not null && ReferenceEquals(current.Source, source))
            {
                continue;
            }

            built[key] = await build(source);
            changes.Add(new(key, current));
        }

        // Every source is built now, so anything more is gone (the common case, nothing gone, costs no lookups).
        if (keys is null && built.Count > sources.Count)
        {
            foreach (var gone in built.Where(b => !sources.ContainsKey(b.Key)).ToList())
            {
                built.Remove(gone.Key);
                changes.Add(new(gone.Key, gone.Value));
            }
        }

        return changes;
    }

    /// <summary>Releases what the changes replaced.</summary>
    private static void Commit<TBuilt>(List<Change<TBuilt>> changes, Action<TBuilt> release)
        where TBuilt : class
    {
        foreach (var change in changes)
        {
            if (change.Previous is not null)
            {
                release(change.Previous);
            }
        }
    }

    /// <summary>Releases what the changes built and puts back what they replaced.</summary>
    private static void Undo<TBuilt>(Dictionary<string, TBuilt> built, List<Change<TBuilt>> changes, Action<TBuilt> release)
        where TBuilt : class
    {
        foreach (var change in changes)
        {
            if (built.Remove(change.Key, out var added))
            {
                release(added);
            }

            if (change.Previous is not null)
            {
                built[change.Key] = change.Previous;
            }
        }
    }

    /// <summary>
    /// Each route's YARP route: the shared one of its behaviour, or a new one YARP's validator accepts.
    /// YARP rejects a whole update for one invalid route, so an invalid route is left out alone (and
    /// logged once, when built).
    /// </summary>
    private async Task<BuiltHost> BuildHostAsync(HostRoutes host)
    {
        var routes = new SharedRoutes.SharedRoute?[host.Routes.Length];
        var invalid = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < routes.Length; i++)
        {
            var spec = host.Routes[i];
            var behaviour = YarpConfigBuilder.ToRoute(spec);
            if (_shared.TryUse(behaviour, out var shared))
            {
                routes[i] = shared;
                continue;
            }

            var config = _shared.WithNewId(behaviour);
            var errors = await validator.ValidateRouteAsync(config);
            if (errors.Count == 0)
            {
                routes[i] = _shared.Add(config);
            }
            else
            {
                invalid[$"route {spec.RouteId}"] = Reason(errors);
                LogInvalid($"route {spec.RouteId}", invalid[$"route {spec.RouteId}"]);
            }
        }

        return new BuiltHost(host, routes, [.. routes.Select(r => r?.Config.RouteId)], invalid);
    }

    private async Task<BuiltBackend> BuildBackendAsync(BackendSpec backend)
    {
        var cluster = YarpConfigBuilder.ToCluster(backend);
        var errors = await validator.ValidateClusterAsync(cluster);
        if (errors.Count == 0)
        {
            return new BuiltBackend(backend, cluster, null);
        }

        var item = $"cluster {cluster.ClusterId}";
        LogInvalid(item, Reason(errors));
        return new BuiltBackend(backend, null, KeyValuePair.Create(item, Reason(errors)));
    }

    private static string Reason(IList<Exception> errors) => string.Join("; ", errors.Select(e => e.Message));

    private void Release(BuiltHost host)
    {
        foreach (var route in host.Routes)
        {
            if (route is not null)
            {
                _shared.Release(route);
            }
        }
    }

    /// <summary>Lets the validation cache drop a cluster no longer served.</summary>
    private void Release(BuiltBackend backend)
    {
        if (backend.Valid is { } cluster)
        {
            validator.Forget(cluster);
        }
    }

    /// <summary>What an entry was built from.</summary>
    private interface IBuilt<out TSource>
    {
        TSource Source { get; }
    }

    /// <summary>An entry built, changed or dropped by an apply, and what it replaced (null: nothing).</summary>
    private readonly record struct Change<TBuilt>(string Key, TBuilt? Previous)
        where TBuilt : class;

    /// <summary>A host's routes and the YARP route of each (null: refused), in the host's order.</summary>
    private sealed record BuiltHost(HostRoutes Source, SharedRoutes.SharedRoute?[] Routes, string?[] ProxyRouteIds, Dictionary<string, string> Invalid) : IBuilt<HostRoutes>;

    private sealed record BuiltBackend(BackendSpec Source, ClusterConfig? Valid, KeyValuePair<string, string>? Invalid) : IBuilt<BackendSpec>;

    [LoggerMessage(Level = LogLevel.Information, Message = "Serving routing generation {Generation}: {Routes} YARP routes, {Backends} backends")]
    private partial void LogApplied(long generation, int routes, int backends);

    [LoggerMessage(Level = LogLevel.Information, Message = "Serving routing generation {Generation}: {Hosts} hosts and {Changed} backends changed, YARP's {Routes} routes unchanged, {Backends} backends")]
    private partial void LogYarpUnchanged(long generation, int hosts, int changed, int routes, int backends);

    [LoggerMessage(Level = LogLevel.Error, Message = "YARP refused {Item}: {Reason}; it is not served")]
    private partial void LogInvalid(string item, string reason);
}
