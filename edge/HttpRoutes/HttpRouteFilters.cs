using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Orleans.Proxy.Routing;
using Yarp.ReverseProxy.Configuration;

namespace Orleans.Proxy.Edge.HttpRoutes;

/// <summary>
/// What an HTTPRoute route does in the proxy pipeline (redirect, traffic split, mirrors, header and
/// host changes), carried in the YARP route's metadata: it changes atomically with the route, and a
/// change rebuilds the route's transforms. Parsed once per route configuration.
/// </summary>
/// <param name="ClusterId">The route's own cluster (<see cref="RouteSpec.ClusterId"/>); empty when no backend is valid.</param>
internal sealed record HttpRouteFilters(string ClusterId, HttpRouteRule Rule)
{
    public const string MetadataKey = "orleans-proxy.httproute";

    /// <summary>
    /// The cluster of a route without a valid backend. YARP proxies only routes with a cluster (it
    /// answers 503 for one without, before any step of ours), so such a route names this one, which
    /// has no destination; <see cref="HttpRouteMiddleware"/> answers all its requests (redirect or 500).
    /// Cluster ids from the route source are "namespace/service:port": this one never collides.
    /// </summary>
    public const string NoBackendClusterId = "orleans-proxy.no-backend";

    public static ClusterConfig NoBackendCluster { get; } = new() { ClusterId = NoBackendClusterId };

    private static readonly ConditionalWeakTable<RouteConfig, Compiled?> Cache = new();

    /// <summary>The filters of a route's YARP configuration, or null when it has none (every Ingress route).</summary>
    public static Compiled? For(RouteConfig route) =>
        route.Metadata is { } metadata && metadata.ContainsKey(MetadataKey)
            ? Cache.GetValue(route, static r => new Compiled(JsonSerializer.Deserialize<HttpRouteFilters>(r.Metadata![MetadataKey])!))
            : null;

    /// <summary>Whether the pipeline has anything to do for this rule beyond forwarding to <see cref="RouteSpec.ClusterId"/>.</summary>
    public static bool Needed(RouteSpec route) =>
        route.HttpRoute is { } rule
        && (route.ClusterId.Length == 0 || rule.Redirect is not null || rule.Rewrite?.Hostname is not null
            || rule.RequestHeaders is not null || rule.ResponseHeaders is not null
            || !rule.Mirrors.IsDefaultOrEmpty || !rule.Backends.IsDefaultOrEmpty);

    internal sealed class Compiled
    {
        public Compiled(HttpRouteFilters filters)
        {
            Filters = filters;
            Backends = filters.Rule.Backends.IsDefault ? [] : filters.Rule.Backends;
            Mirrors = filters.Rule.Mirrors.IsDefault ? [] : filters.Rule.Mirrors;
            TotalWeight = Backends.Sum(b => Math.Max(b.Weight, 0));
        }

        public HttpRouteFilters Filters { get; }

        public HttpRouteRule Rule => Filters.Rule;

        public ImmutableArray<WeightedBackend> Backends { get; }

        public ImmutableArray<MirrorSpec> Mirrors { get; }

        /// <summary>The sum of the backends' weights (a negative weight counts as 0).</summary>
        public int TotalWeight { get; }

        /// <summary>
        /// The cluster this request goes to: the traffic split's choice for <paramref name="roll"/>
        /// (in [0, <see cref="TotalWeight"/>)), or the route's cluster without a split. Empty: answer 500
        /// (the share of invalid backends, a split whose weights are all 0, or no valid backend at all).
        /// </summary>
        public string ClusterFor(int roll)
        {
            if (Backends.IsEmpty)
            {
                return Filters.ClusterId;
            }

            foreach (var backend in Backends)
            {
                roll -= Math.Max(backend.Weight, 0);
                if (roll < 0)
                {
                    return backend.ClusterId;
                }
            }

            return "";
        }
    }
}
