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
    /// The route's proxy behaviour, without a RouteId or backend: routes with equal behaviour share one YARP
    /// route (<see cref="SharedRoutes"/>). What the pipeline reads from YARP's route must be here; what
    /// is the route's own and not here (its id, path, affinity, rewrite-target) is read from the matched
    /// route (<see cref="Matching.RouteMatchFeature"/>); what only selects requests (host, path, headers,
    /// query, method, listener: the edge's own matcher, <see cref="Matching.RouteMatcher"/>, selects routes)
    /// stays out, or such routes would not share. Its Match is a formality YARP requires, the same on
    /// every route; YARP's endpoints are not in ASP.NET Core routing, so it has no Order either.
    /// Backends see the Host the client asked for, as behind ingress-nginx (YARP's default is the destination's).
    /// </summary>
    public static RouteConfig ToRoute(RouteSpec route) => new RouteConfig
    {
        // No backend: the matcher binds each request to its route's backend (BackendStates), so routes to different backends share.
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
