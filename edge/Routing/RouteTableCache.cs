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
/// table. Each swap goes through YARP's in-memory provider, which applies the difference in place:
/// no reload, open connections and in-flight requests carry on.
/// </summary>
internal sealed partial class RouteTableCache(
    InMemoryConfigProvider yarp,
    RouteMatcher matcher,
    ConfigValidationCache validator,
    TimeProvider time,
    ProxyMetrics metrics,
    EdgeIdentity identity,
    ILogger<RouteTableCache> logger)
{
    private readonly Dictionary<string, Built<HostRoutes, RouteConfig>> _hosts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Built<BackendSpec, ClusterConfig>> _backends = new(StringComparer.Ordinal);
    private RouteTable _table = RouteTable.Empty;

    public RouteTable Current => Volatile.Read(ref _table);

    /// <summary>When the current table was applied; null before the first.</summary>
    public DateTimeOffset? AppliedAt { get; private set; }

    /// <summary>Routes YARP refused, with its reason (should stay empty: the converter validates first).</summary>
    public IReadOnlyDictionary<string, string> InvalidRoutes { get; private set; } = new Dictionary<string, string>();

    public async Task ApplyAsync(RouteTable table)
    {
        // Only hosts and backends whose grain value changed are built and validated again: CatalogSync
        // keeps unchanged values by reference, so a change costs what changed, not the table's size.
        var changedHosts = await RefreshAsync(_hosts, table.Hosts, host => [.. host.Routes.Select(YarpConfigBuilder.ToRoute)], validator.ValidateRouteAsync, r => $"route {r.RouteId}");
        await RefreshAsync(_backends, table.Backends, backend => [YarpConfigBuilder.ToCluster(backend)], validator.ValidateClusterAsync, c => $"cluster {c.ClusterId}");
        var validRoutes = new List<RouteConfig>(_hosts.Values.Sum(h => h.Valid.Count));
        var noBackend = false;
        foreach (var host in _hosts.Values)
        {
            foreach (var route in host.Valid)
            {
                var withoutBackend = route.ClusterId == HttpRouteFilters.NoBackendClusterId;
                if (withoutBackend || _backends.ContainsKey(route.ClusterId!))
                {
                    validRoutes.Add(route);
                    noBackend |= withoutBackend;
                }
            }
        }

        var validClusters = new List<ClusterConfig>(_backends.Count + 1);
        foreach (var backend in _backends.Values)
        {
            validClusters.AddRange(backend.Valid);
        }

        if (noBackend)
        {
            validClusters.Add(HttpRouteFilters.NoBackendCluster);
        }

        var invalid = _hosts.Values.Where(h => h.Invalid.Count > 0).SelectMany(h => h.Invalid)
            .Concat(_backends.Values.Where(b => b.Invalid.Count > 0).SelectMany(b => b.Invalid))
            .ToDictionary(i => i.Key, i => i.Value, StringComparer.Ordinal);

        // The table first: diagnostics and pipeline steps (affinity, passive health) read a route's
        // settings from it. The matcher last, once YARP has the endpoints of the new routes (until
        // then, a route without an endpoint is passed over and the previous table's answer stands).
        var previous = Volatile.Read(ref _table);
        Volatile.Write(ref _table, table);
        try
        {
            yarp.Update(validRoutes, validClusters);
        }
        catch
        {
            Volatile.Write(ref _table, previous);
            throw;
        }

        matcher.Apply(table, changedHosts);

        InvalidRoutes = invalid;
        AppliedAt = time.GetUtcNow();
        metrics.ConfigApplied(identity.Id);
        LogApplied(table.Catalog.Generation, validRoutes.Count, validClusters.Count);
    }

    /// <summary>
    /// Builds and validates the entries whose source changed, drops those gone; returns their keys.
    /// YARP rejects a whole update for one invalid item, so an invalid item is dropped alone (and
    /// logged once, when built).
    /// </summary>
    private async Task<List<string>> RefreshAsync<TSource, TConfig>(
        Dictionary<string, Built<TSource, TConfig>> built,
        IReadOnlyDictionary<string, TSource> sources,
        Func<TSource, List<TConfig>> build,
        Func<TConfig, ValueTask<IList<Exception>>> validate,
        Func<TConfig, string> describe)
        where TSource : class
        where TConfig : class
    {
        var changed = new List<string>();
        foreach (var (key, source) in sources)
        {
            if (built.TryGetValue(key, out var current) && ReferenceEquals(current.Source, source))
            {
                continue;
            }

            var valid = new List<TConfig>();
            var invalid = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var item in build(source))
            {
                var errors = await validate(item);
                if (errors.Count == 0)
                {
                    valid.Add(item);
                }
                else
                {
                    invalid[describe(item)] = string.Join("; ", errors.Select(e => e.Message));
                    LogInvalid(describe(item), invalid[describe(item)]);
                }
            }

            if (current is not null)
            {
                Forget(current);
            }

            built[key] = new Built<TSource, TConfig>(source, valid, invalid);
            changed.Add(key);
        }

        // Every source is built now, so anything more is gone (the common case, nothing gone, costs no lookups).
        if (built.Count > sources.Count)
        {
            foreach (var gone in built.Where(b => !sources.ContainsKey(b.Key)).ToList())
            {
                built.Remove(gone.Key);
                Forget(gone.Value);
                changed.Add(gone.Key);
            }
        }

        return changed;
    }

    /// <summary>Lets the validation cache drop what is no longer served.</summary>
    private void Forget<TSource, TConfig>(Built<TSource, TConfig> entry)
        where TConfig : class
    {
        foreach (var config in entry.Valid)
        {
            validator.Forget(config);
        }
    }

    private sealed record Built<TSource, TConfig>(TSource Source, List<TConfig> Valid, Dictionary<string, string> Invalid);

    [LoggerMessage(Level = LogLevel.Information, Message = "Serving routing generation {Generation}: {Routes} routes, {Clusters} clusters")]
    private partial void LogApplied(long generation, int routes, int clusters);

    [LoggerMessage(Level = LogLevel.Error, Message = "YARP refused {Item}: {Reason}; it is not served")]
    private partial void LogInvalid(string item, string reason);
}
