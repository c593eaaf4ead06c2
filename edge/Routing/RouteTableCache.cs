using Microsoft.Extensions.Logging;
using Orleans.Proxy.Diagnostics;
using Orleans.Proxy.Edge.Hosting;
using Orleans.Proxy.Edge.HttpRoutes;
using Orleans.Proxy.Edge.Matching;
using Orleans.Proxy.Routing;
using Yarp.ReverseProxy.Configuration;

namespace Orleans.Proxy.Edge.Routing;

/// <summary>
/// The table this edge serves, and the only writer of YARP's configuration and of the matcher's
/// table. YARP gets one route per proxy behaviour (<see cref="SharedRoutes"/>), and an update only
/// when its routes or clusters change: a change that only adds, removes or moves paths and hosts
/// onto behaviours and backends already served reaches the matcher alone. Each update goes through
/// YARP's in-memory provider, which applies the difference in place: no reload, open connections
/// and in-flight requests carry on.
/// </summary>
internal sealed partial class RouteTableCache(
    InMemoryConfigProvider yarp,
    RouteMatcher matcher,
    ConfigValidationCache validator,
    IClusterDestinations destinations,
    TimeProvider time,
    ProxyMetrics metrics,
    EdgeIdentity identity,
    ILogger<RouteTableCache> logger)
{
    private readonly Dictionary<string, BuiltHost> _hosts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, BuiltBackend> _backends = new(StringComparer.Ordinal);
    private readonly SharedRoutes _shared = new();
    private RouteTable _table = RouteTable.Empty;

    // A backend changed since YARP's last update (its cluster is new, changed or gone).
    private bool _backendsChanged;

    // What YARP was last given.
    private (int Routes, int Clusters) _yarpHolds;

    // Hosts whose routes changed since the TLS sync last took them.
    private readonly Lock _hostsChangedLock = new();
    private HashSet<string> _hostsChanged = new(StringComparer.Ordinal);

    public RouteTable Current => Volatile.Read(ref _table);

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
        var endpointsInPlace = backends.Count > 0 && !_shared.Added && !_backendsChanged && TryReplaceEndpoints(backends);
        _backendsChanged |= backends.Count > 0 && !endpointsInPlace;
        var invalid = hosts.Any(c => c.Previous?.Invalid.Count > 0 || _hosts.GetValueOrDefault(c.Key)?.Invalid.Count > 0)
            || backends.Any(c => c.Previous?.Invalid is not null || _backends.GetValueOrDefault(c.Key)?.Invalid is not null)
            ? _hosts.Values.Where(h => h.Invalid.Count > 0).SelectMany(h => h.Invalid)
                .Concat(_backends.Values.Where(b => b.Invalid is not null).Select(b => b.Invalid!.Value))
                .ToDictionary(i => i.Key, i => i.Value, StringComparer.Ordinal)
            : InvalidRoutes;

        // The table first: diagnostics and pipeline steps (passive health) read a route's settings
        // from it. The matcher last, once YARP has the endpoints of the new routes (until then, a
        // route without an endpoint is passed over). The matcher serves the previous table until then, so
        // what the new table no longer names stays in this update: routes leave with YARP's next
        // update, backends with a second one right after the matcher moved on.
        var previous = Volatile.Read(ref _table);
        Volatile.Write(ref _table, table);
        var updated = _shared.Added || _backendsChanged;
        var leaving = Leaving(backends);
        if (updated)
        {
            try
            {
                UpdateYarp(leaving);
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
        if (leaving.Count > 0)
        {
            // Nothing the matcher serves names them now: they go at once, not with some later change (a deleted Service's
            // destinations must not stay reachable). A second update only for changes that remove a backend.
            _backendsChanged = true;
            try
            {
                UpdateYarp([]);
            }
            catch (Exception e)
            {
                // The new table is served; the backends stay in YARP, unnamed, until its next update.
                LogLeavingKept(e, leaving.Count);
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
            LogApplied(table.Catalog.Generation, _yarpHolds.Routes, _yarpHolds.Clusters);
        }
        else if (endpointsInPlace)
        {
            LogEndpointsInPlace(table.Catalog.Generation, backends.Count, _yarpHolds.Routes, _yarpHolds.Clusters);
        }
        else
        {
            LogMatchingOnly(table.Catalog.Generation, _yarpHolds.Routes, _yarpHolds.Clusters);
        }
    }

    /// <summary>
    /// When every changed backend changed only its endpoints, gives YARP's clusters their new destinations in
    /// place and returns true: no configuration update. The first backend that cannot be changed so stops there
    /// (those before it changed in place too, which the configuration update then finds already done).
    /// </summary>
    private bool TryReplaceEndpoints(List<Change<BuiltBackend>> backends)
    {
        foreach (var change in backends)
        {
            if (change.Previous?.Valid is not { } before || _backends.GetValueOrDefault(change.Key)?.Valid is not { } after
                || !(before with { Destinations = after.Destinations }).Equals(after))
            {
                return false;
            }
        }

        foreach (var change in backends)
        {
            if (!destinations.TryReplace(change.Key, _backends[change.Key].Valid!.Destinations ?? new Dictionary<string, DestinationConfig>()))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The clusters of the backends this apply removes. The matcher serves the previous table until after YARP's update,
    /// and that table still sends requests to these backends' routes: they stay in that update and leave YARP once the
    /// matcher moved on (dropping them with it answered 404 in that window).
    /// </summary>
    private List<ClusterConfig> Leaving(List<Change<BuiltBackend>> backends)
    {
        var leaving = new List<ClusterConfig>();
        foreach (var change in backends)
        {
            if (change.Previous?.Valid is { } cluster && !_backends.ContainsKey(change.Key))
            {
                leaving.Add(cluster);
            }
        }

        return leaving;
    }

    /// <summary>Hands YARP every shared route whose cluster it is given, every cluster served and those <paramref name="leaving"/>.</summary>
    private void UpdateYarp(List<ClusterConfig> leaving)
    {
        var clusters = new List<ClusterConfig>(_backends.Count + leaving.Count + 1);
        foreach (var backend in _backends.Values)
        {
            if (backend.Valid is { } cluster)
            {
                clusters.Add(cluster);
            }
        }

        clusters.AddRange(leaving);
        var leavingIds = leaving.Count == 0 ? null : leaving.Select(c => c.ClusterId).ToHashSet(StringComparer.Ordinal);
        var routes = new List<RouteConfig>(_shared.Count);
        var noBackend = false;
        foreach (var route in _shared.ForUpdate(validator.Forget))
        {
            var withoutBackend = route.ClusterId == HttpRouteFilters.NoBackendClusterId;
            if (withoutBackend || _backends.ContainsKey(route.ClusterId!) || leavingIds?.Contains(route.ClusterId!) == true)
            {
                routes.Add(route);
                noBackend |= withoutBackend;
            }
        }

        if (noBackend)
        {
            clusters.Add(HttpRouteFilters.NoBackendCluster);
        }

        yarp.Update(routes, clusters);
        _shared.Updated();
        _backendsChanged = false;
        _yarpHolds = (routes.Count, clusters.Count);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Serving routing generation {Generation}: {Routes} YARP routes, {Clusters} clusters")]
    private partial void LogApplied(long generation, int routes, int clusters);

    [LoggerMessage(Level = LogLevel.Information, Message = "Serving routing generation {Generation}: endpoints of {Backends} backends changed in place, YARP's {Routes} routes and {Clusters} clusters otherwise unchanged")]
    private partial void LogEndpointsInPlace(long generation, int backends, int routes, int clusters);

    [LoggerMessage(Level = LogLevel.Information, Message = "Serving routing generation {Generation}: matching only, YARP's {Routes} routes and {Clusters} clusters unchanged")]
    private partial void LogMatchingOnly(long generation, int routes, int clusters);

    [LoggerMessage(Level = LogLevel.Warning, Message = "YARP's update dropping {Count} backends no longer served failed; they go with its next update")]
    private partial void LogLeavingKept(Exception exception, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "YARP refused {Item}: {Reason}; it is not served")]
    private partial void LogInvalid(string item, string reason);
}
