using System.Net;
using Orleans.Proxy.Edge.Caching;
using Orleans.Proxy.Edge.IngressFeatures;
using Orleans.Proxy.Edge.RateLimiting;
using Orleans.Proxy.Routing;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Transforms;

namespace Orleans.Proxy.Edge.Routing;

/// <summary>Maps the route model to YARP routes and clusters.</summary>
internal static class YarpConfigBuilder
{
    private const string CatchAll = "{**catch-all}";

    public static (List<RouteConfig> Routes, List<ClusterConfig> Clusters) Build(RouteTable table)
    {
        var routes = table.Hosts.Values
            .SelectMany(h => h.Routes)
            .Where(r => table.Backends.ContainsKey(r.ClusterId))
            .Select(ToRoute)
            .ToList();
        var clusters = table.Backends.Values.Select(ToCluster).ToList();
        return (routes, clusters);
    }

    // Backends see the Host the client asked for, as behind ingress-nginx (YARP's default is the destination's).
    public static RouteConfig ToRoute(RouteSpec route) => new RouteConfig
    {
        RouteId = route.RouteId,
        ClusterId = route.ClusterId,
        Order = Order(route),
        Metadata = IngressRouteFeatures.ToMetadata(route),
        Match = new RouteMatch
        {
            Hosts = route.Host == "*" ? null : [route.Host],
            Path = route.PathMatch == PathMatchKind.Exact ? route.Path
                : route.Path == "/" ? "/" + CatchAll
                : route.Path + "/" + CatchAll,
            Headers = route.Headers.IsDefaultOrEmpty ? null
                : [.. route.Headers.Select(h => new RouteHeader { Name = h.Name, Values = [h.Value], Mode = HeaderMatchMode.ExactHeader, IsCaseSensitive = true })],
            QueryParameters = route.Query.IsDefaultOrEmpty ? null
                : [.. route.Query.Select(q => new RouteQueryParameter { Name = q.Name, Values = [q.Value], Mode = QueryParameterMatchMode.Exact, IsCaseSensitive = true })],
        },
    }.WithTransformUseOriginalHostHeader().WithRateLimits(route).WithCaching(route);

    public static ClusterConfig ToCluster(BackendSpec backend)
    {
        var tls = backend.Protocol is BackendProtocol.Https or BackendProtocol.Grpcs;
        var http2Only = backend.Protocol is BackendProtocol.Grpc or BackendProtocol.Grpcs or BackendProtocol.H2c;
        return new ClusterConfig
        {
            ClusterId = backend.ClusterId,
            LoadBalancingPolicy = LoadBalancingPolicies.RoundRobin,
            HealthCheck = Health.HealthExtensions.HealthCheckFor(backend),
            Destinations = backend.Destinations.ToDictionary(d => d.Id, d => new DestinationConfig { Address = d.Address }, StringComparer.Ordinal),
            // As ingress-nginx (proxy_ssl_verify off by default), a TLS backend's certificate is not verified.
            HttpClient = tls ? new HttpClientConfig { DangerousAcceptAnyServerCertificate = true } : null,
            HttpRequest = backend.ActivityTimeout is null && !http2Only ? null : new ForwarderRequestConfig
            {
                ActivityTimeout = backend.ActivityTimeout,
                Version = http2Only ? HttpVersion.Version20 : null,
                VersionPolicy = http2Only ? HttpVersionPolicy.RequestVersionExact : null,
            },
            Metadata = backend.ConnectTimeout is { } connect
                ? new Dictionary<string, string> { [IngressHttpClientFactory.ConnectTimeoutKey] = IngressHttpClientFactory.Format(connect) }
                : null,
        };
    }

    /// <summary>
    /// Lower wins. Exact hosts before wildcard hosts before any host before the default backend;
    /// within those, the longest path (the Ingress rule), Exact before Prefix at equal length,
    /// and a route with header or query matches before one without.
    /// </summary>
    internal static int Order(RouteSpec route)
    {
        var hostRank = route.IsDefaultBackend ? 3 : route.Host == "*" ? 2 : route.Host.StartsWith("*.", StringComparison.Ordinal) ? 1 : 0;
        var matchers = Math.Min(route.Headers.Length + route.Query.Length, 3);
        var specificity = ((route.PathRegex ?? route.Path).Length * 8) + (route.PathMatch == PathMatchKind.Exact ? 4 : 0) + matchers;
        return (hostRank * 1_000_000) - specificity;
    }
}
