using Microsoft.Extensions.Logging;
using Orleans.Proxy.Diagnostics;
using Orleans.Proxy.Edge.Hosting;
using Orleans.Proxy.Edge.Matching;
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
    IConfigValidator validator,
    TimeProvider time,
    ProxyMetrics metrics,
    EdgeIdentity identity,
    ILogger<RouteTableCache> logger)
{
    private RouteTable _table = RouteTable.Empty;

    public RouteTable Current => Volatile.Read(ref _table);

    /// <summary>When the current table was applied; null before the first.</summary>
    public DateTimeOffset? AppliedAt { get; private set; }

    /// <summary>Routes YARP refused, with its reason (should stay empty: the converter validates first).</summary>
    public IReadOnlyDictionary<string, string> InvalidRoutes { get; private set; } = new Dictionary<string, string>();

    public async Task ApplyAsync(RouteTable table)
    {
        var (routes, clusters) = YarpConfigBuilder.Build(table);
        var invalid = new Dictionary<string, string>(StringComparer.Ordinal);
        var validClusters = await KeepValidAsync(clusters, validator.ValidateClusterAsync, c => $"cluster {c.ClusterId}", invalid);
        var validRoutes = await KeepValidAsync(routes, validator.ValidateRouteAsync, r => $"route {r.RouteId}", invalid);

        foreach (var (item, reason) in invalid)
        {
            LogInvalid(item, reason);
        }

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

        matcher.Apply(table);

        InvalidRoutes = invalid;
        AppliedAt = time.GetUtcNow();
        metrics.ConfigApplied(identity.Id);
        LogApplied(table.Catalog.Generation, validRoutes.Count, validClusters.Count);
    }

    /// <summary>YARP rejects a whole update for one invalid item; drop that item alone instead.</summary>
    private static async Task<List<T>> KeepValidAsync<T>(List<T> items, Func<T, ValueTask<IList<Exception>>> validate, Func<T, string> describe, Dictionary<string, string> invalid)
    {
        var valid = new List<T>(items.Count);
        foreach (var item in items)
        {
            var errors = await validate(item);
            if (errors.Count == 0)
            {
                valid.Add(item);
            }
            else
            {
                invalid[describe(item)] = string.Join("; ", errors.Select(e => e.Message));
            }
        }

        return valid;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Serving routing generation {Generation}: {Routes} routes, {Clusters} clusters")]
    private partial void LogApplied(long generation, int routes, int clusters);

    [LoggerMessage(Level = LogLevel.Error, Message = "YARP refused {Item}: {Reason}; it is not served")]
    private partial void LogInvalid(string item, string reason);
}
