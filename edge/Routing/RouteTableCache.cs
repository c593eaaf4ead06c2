using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Configuration;

namespace Orleans.Proxy.Edge.Routing;

/// <summary>
/// The table this edge serves, and the only writer of YARP's configuration. Each swap goes
/// through YARP's in-memory provider, which applies the difference in place: no reload, open
/// connections and in-flight requests carry on.
/// </summary>
internal sealed partial class RouteTableCache(InMemoryConfigProvider yarp, IConfigValidator validator, TimeProvider time, ILogger<RouteTableCache> logger)
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
        var validClusters = new List<ClusterConfig>(clusters.Count);
        foreach (var cluster in clusters)
        {
            var errors = await validator.ValidateClusterAsync(cluster);
            if (errors.Count == 0)
            {
                validClusters.Add(cluster);
            }
            else
            {
                invalid[$"cluster {cluster.ClusterId}"] = string.Join("; ", errors.Select(e => e.Message));
            }
        }

        var validRoutes = new List<RouteConfig>(routes.Count);
        foreach (var route in routes)
        {
            var errors = await validator.ValidateRouteAsync(route);
            if (errors.Count == 0)
            {
                validRoutes.Add(route);
            }
            else
            {
                invalid[$"route {route.RouteId}"] = string.Join("; ", errors.Select(e => e.Message));
            }
        }

        foreach (var (item, reason) in invalid)
        {
            LogInvalid(item, reason);
        }

        // The table first: YARP serves the new routes while Update is still running (tens of ms), and
        // steps of the proxy pipeline (affinity, passive health) read a route's settings from the table.
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

        InvalidRoutes = invalid;
        AppliedAt = time.GetUtcNow();
        LogApplied(table.Catalog.Generation, validRoutes.Count, validClusters.Count);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Serving routing generation {Generation}: {Routes} routes, {Clusters} clusters")]
    private partial void LogApplied(long generation, int routes, int clusters);

    [LoggerMessage(Level = LogLevel.Error, Message = "YARP refused {Item}: {Reason}; it is not served")]
    private partial void LogInvalid(string item, string reason);
}
