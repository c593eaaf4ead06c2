using System.Net;
using Orleans.Proxy.Edge.Authentication;
using Orleans.Proxy.Edge.Caching;
using Orleans.Proxy.Edge.ControllerDefaults;
using Orleans.Proxy.Edge.Cors;
using Orleans.Proxy.Edge.HttpRoutes;
using Orleans.Proxy.Edge.IngressFeatures;
using Orleans.Proxy.Edge.IngressNginx;
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

    /// <summary>
    /// The route's proxy settings. Its Match is a formality YARP requires: the edge's own matcher
    /// (<see cref="Matching.RouteMatcher"/>) selects routes, and YARP's endpoints are not in ASP.NET
    /// Core routing. Order is the matcher's Ingress precedence, for diagnostics (HTTPRoute routes are
    /// ordered by <see cref="Matching.RoutePrecedence.Compare"/>, which no single number holds).
    /// Backends see the Host the client asked for, as behind ingress-nginx (YARP's default is the destination's).
    /// </summary>
    public static RouteConfig ToRoute(RouteSpec route) => new RouteConfig
    {
        RouteId = route.RouteId,
        ClusterId = route.ClusterId,
        Order = Matching.RoutePrecedence.Rank(route),
        Metadata = IngressRouteFeatures.ToMetadata(route),
        Match = new RouteMatch { Path = "/" + CatchAll },
    }.WithTransformUseOriginalHostHeader().WithRateLimits(route).WithCaching(route).WithHttpRoute(route).WithControllerDefaults(route).WithCors(route).WithAuthentication(route).WithNginxRoute(route);

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
}
