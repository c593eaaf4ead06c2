using System.Collections.Concurrent;
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
/// endpoint of that route's YARP route (<see cref="CompiledRoute.ProxyRouteId"/>, which routes that
/// differ only in what they match or their backend share) bound to the route's backend
/// (<see cref="BackendStates.Backend.EndpointFor"/>). YARP's endpoints are not in ASP.NET Core routing at all (see
/// <see cref="MatchingExtensions.MapMatchedReverseProxy"/>), so nothing else can select them.
/// </summary>
internal sealed partial class RouteMatcher
{
    private readonly ILogger<RouteMatcher> _logger;
    private readonly BackendStates _backends;
    private readonly Func<CompiledRoute, bool> _isServed;
    private MatchTable _table;

    // YARP's endpoint of each YARP route, updated in place: YARP keeps the endpoint of an unchanged
    // route, so a refresh writes only what changed (a copy per change was 20,000 entries at 10,000 hosts).
    private readonly ConcurrentDictionary<string, ServedEndpoint> _endpoints = new(StringComparer.Ordinal);
    private EndpointDataSource? _source;
    private int _refresh;

    public RouteMatcher(IOptions<MatchingOptions> options, BackendStates backends, ILogger<RouteMatcher> logger)
    {
        _logger = logger;
        _backends = backends;
        _table = MatchTable.Empty(options.Value);
        _isServed = route => _endpoints.ContainsKey(route.ProxyRouteId!) && (route.Spec.ClusterId.Length == 0 || backends.TryGet(route.Spec.ClusterId, out _));
    }

    public MatchTable Table => Volatile.Read(ref _table);

    public MatchingOptions Options => Table.Options;

    /// <summary>Serves <paramref name="table"/> from now on; only the hosts in <paramref name="changedHosts"/> (added, changed or removed) are looked at.</summary>
    /// <param name="proxyRouteIds">For a changed host, the YARP route of each of its routes, in their order (null: none).</param>
    public void Apply(RouteTable table, IEnumerable<string> changedHosts, Func<string, IReadOnlyList<string?>> proxyRouteIds)
    {
        var next = Table.With(table.Hosts, changedHosts, proxyRouteIds);
        Volatile.Write(ref _table, next);
        LogApplied(table.Catalog.Generation, next.HostCount, next.CompiledHosts);
    }

    /// <summary>YARP's endpoints (one per YARP route it accepted), followed as they change.</summary>
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
        if (route?.ProxyRouteId is not { } proxy || !_endpoints.TryGetValue(proxy, out var served))
        {
            return new RouteMatchResult(path, null);
        }

        var endpoint = served.Endpoint;
        if (route.Spec.ClusterId.Length > 0)
        {
            // Gone since the match only when the table that names it was just replaced: no longer served.
            if (!_backends.TryGet(route.Spec.ClusterId, out var backend))
            {
                return new RouteMatchResult(path, null);
            }

            endpoint = backend.EndpointFor(proxy, endpoint);
        }

        return new RouteMatchResult(path, new RouteMatchFeature(route, endpoint, path.Path, path.MatchPath));
    }

    /// <summary>Runs on YARP's change signal, one at a time (YARP signals under its lock).</summary>
    private void RefreshEndpoints()
    {
        var refresh = ++_refresh;
        var count = 0;
        foreach (var endpoint in _source?.Endpoints ?? [])
        {
            if (endpoint.Metadata.GetMetadata<RouteModel>() is not { } route)
            {
                continue;
            }

            count++;
            if (_endpoints.TryGetValue(route.Config.RouteId, out var served))
            {
                served.Endpoint = endpoint;
                served.Refresh = refresh;
            }
            else
            {
                _endpoints[route.Config.RouteId] = new ServedEndpoint { Endpoint = endpoint, Refresh = refresh };
            }
        }

        // Every route YARP has is in the map now, so more entries than routes means some are gone.
        if (_endpoints.Count > count)
        {
            foreach (var (routeId, served) in _endpoints)
            {
                if (served.Refresh != refresh)
                {
                    _endpoints.TryRemove(routeId, out _);
                }
            }
        }
    }

    private sealed class ServedEndpoint
    {
        private Endpoint? _endpoint;

        public Endpoint Endpoint
        {
            get => Volatile.Read(ref _endpoint)!;
            set => Volatile.Write(ref _endpoint, value);
        }

        /// <summary>The last refresh that found the route in YARP's endpoints.</summary>
        public int Refresh { get; set; }
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

/// <summary>
/// The route a request matched and the paths matching read; set on the request for the proxy's later
/// steps. What belongs to the route itself (its id, affinity, rule) is read from here, not from YARP's
/// route, which routes differing only in what they match share.
/// </summary>
/// <param name="Path">The normalized path, which the backend receives (unless a rewrite-target replaces it).</param>
/// <param name="MatchPath">The path routes were matched against.</param>
internal sealed record RouteMatchFeature(CompiledRoute Route, Endpoint Endpoint, string Path, string MatchPath)
{
    /// <summary>The path sent to the backend.</summary>
    public string ForwardedPath => Route.ForwardedPath(Path, MatchPath);
}
