using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Orleans.Proxy.Edge.Routing;
using Yarp.ReverseProxy.Model;

namespace Orleans.Proxy.Edge.Matching;

/// <summary>
/// The one matcher of the edge: it picks the route of every proxied request (and of /diag/explain),
/// with Kubernetes' semantics, from the current <see cref="MatchTable"/>, and hands YARP the
/// endpoint of that route. YARP's endpoints are not in ASP.NET Core routing at all (see
/// <see cref="MatchingExtensions.MapMatchedReverseProxy"/>), so nothing else can select them.
/// </summary>
internal sealed partial class RouteMatcher
{
    private readonly ILogger<RouteMatcher> _logger;
    private readonly Func<string, bool> _isServed;
    private MatchTable _table;
    private Dictionary<string, Endpoint> _endpoints = new(StringComparer.Ordinal);
    private EndpointDataSource? _source;

    public RouteMatcher(IOptions<MatchingOptions> options, ILogger<RouteMatcher> logger)
    {
        _logger = logger;
        _table = MatchTable.Empty(options.Value);
        _isServed = routeId => Volatile.Read(ref _endpoints).ContainsKey(routeId);
    }

    public MatchTable Table => Volatile.Read(ref _table);

    public MatchingOptions Options => Table.Options;

    /// <summary>Serves <paramref name="table"/> from now on; only the hosts in <paramref name="changedHosts"/> (added, changed or removed) are looked at.</summary>
    public void Apply(RouteTable table, IEnumerable<string> changedHosts)
    {
        var next = Table.With(table.Hosts, changedHosts);
        Volatile.Write(ref _table, next);
        LogApplied(table.Catalog.Generation, next.HostCount, next.CompiledHosts);
    }

    /// <summary>YARP's endpoints (one per route it accepted), followed as they change.</summary>
    public void UseEndpoints(EndpointDataSource source)
    {
        _source = source;
        ChangeToken.OnChange(source.GetChangeToken, RefreshEndpoints);
        RefreshEndpoints();
    }

    /// <summary>Normalizes the path, then finds the route; a route YARP has no endpoint for (refused, not loaded yet) is passed over.</summary>
    /// <param name="rawPath">The path as the client sent it (percent-encoded, no query); null when the request target is not a path.</param>
    public RouteMatchResult Match(string? host, string? rawPath, HttpRequest request)
    {
        var table = Table;
        if (rawPath is null)
        {
            return new RouteMatchResult(NormalizedPath.Invalid("the request target is not a path"), null);
        }

        var path = PathNormalizer.Normalize(rawPath, table.Options);
        if (!path.IsValid)
        {
            return new RouteMatchResult(path, null);
        }

        var route = table.Match(host, path.MatchPath, request, _isServed);
        if (route is null || !Volatile.Read(ref _endpoints).TryGetValue(route.RouteId, out var endpoint))
        {
            return new RouteMatchResult(path, null);
        }

        return new RouteMatchResult(path, new RouteMatchFeature(route, endpoint, path.Path, path.MatchPath));
    }

    private void RefreshEndpoints()
    {
        var endpoints = new Dictionary<string, Endpoint>(StringComparer.Ordinal);
        foreach (var endpoint in _source?.Endpoints ?? [])
        {
            if (endpoint.Metadata.GetMetadata<RouteModel>() is { } route)
            {
                endpoints[route.Config.RouteId] = endpoint;
            }
        }

        Volatile.Write(ref _endpoints, endpoints);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Matching generation {Generation}: {Hosts} hosts, {Compiled} compiled anew")]
    private partial void LogApplied(long generation, int hosts, int compiled);
}

/// <summary>What matching made of a request: its normalized path (or why it is refused), and the route, when one matches.</summary>
internal readonly record struct RouteMatchResult(NormalizedPath Path, RouteMatchFeature? Match)
{
    /// <summary>The answer when no route serves: 400 for a path refused by normalization, else 404.</summary>
    public int StatusCode => Path.IsValid ? StatusCodes.Status404NotFound : StatusCodes.Status400BadRequest;
}

/// <summary>The route a request matched and the paths matching read; set on the request for the proxy's later steps.</summary>
/// <param name="Path">The normalized path, which the backend receives (unless a rewrite-target replaces it).</param>
/// <param name="MatchPath">The path routes were matched against.</param>
internal sealed record RouteMatchFeature(CompiledRoute Route, Endpoint Endpoint, string Path, string MatchPath)
{
    /// <summary>The path sent to the backend.</summary>
    public string ForwardedPath => Route.ForwardedPath(Path, MatchPath);
}
