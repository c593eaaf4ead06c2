using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Orleans.Proxy.Edge.Routing;

/// <summary>
/// The runtime state of each backend the edge serves: a YARP <see cref="ClusterState"/> of its own, held here
/// rather than in YARP's configuration. YARP's configuration update validates, compares and rebuilds every route
/// and cluster it holds whatever changed (60 ms a change at 10,000 backends), so with a cluster per backend, adding
/// or removing one Service cost the table's size on every edge. Here a backend change costs that backend; YARP holds
/// only the routes (one per behaviour, naming no backend) and is updated only when a new behaviour appears.
/// Requests still run YARP's pipeline on these states (load balancing, passive health, the forwarder): the
/// matcher hands each request its YARP route's endpoint bound to the backend (<see cref="Backend.EndpointFor"/>).
/// Written by one caller at a time (<see cref="RouteTableCache"/>); read by requests.
/// </summary>
internal sealed class BackendStates(IServiceProvider services)
{
    // Resolved late: YARP's updater depends on the destination policies, and the verdict policy on BackendHealthCache, which uses this.
    private readonly Lazy<(IClusterDestinationsUpdater Updater, IForwarderHttpClientFactory Clients)> _yarp = new(() =>
        (services.GetRequiredService<IClusterDestinationsUpdater>(), services.GetRequiredService<IForwarderHttpClientFactory>()));

    private readonly ConcurrentDictionary<string, Backend> _backends = new(StringComparer.Ordinal);

    // One client (connection pool) per client settings, shared by the backends that have them: YARP's cluster
    // per backend held a pool each. Distinct settings are few (TLS to the backend, connect timeout); kept for the edge's life.
    private readonly ConcurrentDictionary<(HttpClientConfig Config, string Metadata), HttpMessageInvoker> _clients = new();

    public int Count => _backends.Count;

    public bool TryGet(string backendId, [MaybeNullWhen(false)] out Backend backend) => _backends.TryGetValue(backendId, out backend);

    /// <summary>The state of <paramref name="backendId"/>, for lookups by name (a mirror target).</summary>
    public bool TryGetCluster(string backendId, [MaybeNullWhen(false)] out ClusterState cluster)
    {
        cluster = _backends.TryGetValue(backendId, out var backend) ? backend.Cluster : null;
        return cluster is not null;
    }

    /// <summary>
    /// Sends the request to <paramref name="backendId"/> instead of its route's backend (a canary, a traffic split's
    /// choice, a fallback), its route bound to that backend as the matcher binds the matched one: YARP's load
    /// balancing and passive health read the cluster from the route, so they use this backend's state and settings
    /// (with YARP's own reassignment they used the matched backend's). False when it is not served.
    /// </summary>
    public bool TryReassign(HttpContext context, string backendId)
    {
        if (!_backends.TryGetValue(backendId, out var backend))
        {
            return false;
        }

        var route = context.GetRouteModel();
        context.ReassignProxyRequest(new RouteModel(route.Config, backend.Cluster, route.Transformer), backend.Cluster);
        return true;
    }

    /// <summary>
    /// Serves <paramref name="config"/> (a cluster YARP's validator accepted). Destinations kept keep their state (health,
    /// requests in flight), as in YARP's own update; a change of settings gives the backend a new state, which requests
    /// already under way do not see.
    /// </summary>
    public void Set(ClusterConfig config)
    {
        var (updater, _) = _yarp.Value;
        if (_backends.TryGetValue(config.ClusterId, out var current) && SameSettings(current.Cluster.Model.Config, config))
        {
            ReplaceDestinations(current.Cluster, config.Destinations);
            updater.UpdateAllDestinations(current.Cluster);
            return;
        }

        var cluster = new ClusterState(config.ClusterId, new ClusterModel(config, ClientFor(config)));
        if (current is not null)
        {
            foreach (var (id, kept) in current.Cluster.Destinations)
            {
                cluster.Destinations[id] = kept;
            }
        }

        ReplaceDestinations(cluster, config.Destinations);
        updater.UpdateAllDestinations(cluster);
        _backends[config.ClusterId] = new Backend(cluster);

        // A verdict that arrived since refreshed the state this one replaces: take it now.
        updater.UpdateAvailableDestinations(cluster);
    }

    public void Remove(string backendId) => _backends.TryRemove(backendId, out _);

    /// <summary>Recomputes the backend's available destinations (a health verdict changed); nothing when it is not served.</summary>
    public void RefreshAvailable(string backendId)
    {
        if (_backends.TryGetValue(backendId, out var backend))
        {
            _yarp.Value.Updater.UpdateAvailableDestinations(backend.Cluster);
        }
    }

    private static bool SameSettings(ClusterConfig a, ClusterConfig b) =>
        (a with { Destinations = null }).Equals(b with { Destinations = null });

    private static void ReplaceDestinations(ClusterState cluster, IReadOnlyDictionary<string, DestinationConfig>? destinations)
    {
        destinations ??= new Dictionary<string, DestinationConfig>();
        foreach (var (id, config) in destinations)
        {
            // A destination whose address or settings changed is another destination: its health does not carry over.
            if (!cluster.Destinations.TryGetValue(id, out var kept) || !kept.Model.Config.Equals(config))
            {
                cluster.Destinations[id] = new DestinationState(id, new DestinationModel(config));
            }
        }

        foreach (var id in cluster.Destinations.Keys)
        {
            if (!destinations.ContainsKey(id))
            {
                cluster.Destinations.TryRemove(id, out _);
            }
        }
    }

    private HttpMessageInvoker ClientFor(ClusterConfig config)
    {
        var settings = config.HttpClient ?? HttpClientConfig.Empty;
        var metadata = config.Metadata is null ? "" : string.Join("\n", config.Metadata.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => $"{m.Key}={m.Value}"));
        return _clients.GetOrAdd((settings, metadata), _ => _yarp.Value.Clients.CreateClient(new ForwarderHttpClientContext
        {
            ClusterId = config.ClusterId,
            NewConfig = settings,
            NewMetadata = config.Metadata,
        }));
    }

    /// <summary>One backend's state, and YARP's route endpoints bound to it.</summary>
    internal sealed class Backend(ClusterState cluster)
    {
        // Bounded: a backend is served through a few YARP routes at a time; those replaced since are dropped past this.
        private const int MaxEndpoints = 64;

        // Made on the first request: most of 10,000 backends may see none for a long time.
        private ConcurrentDictionary<string, (Endpoint Route, Endpoint Bound)>? _endpoints;

        public ClusterState Cluster { get; } = cluster;

        /// <summary>
        /// <paramref name="route"/> (a YARP route's endpoint, which names no cluster) with this backend as its route's
        /// cluster: YARP's pipeline reads the cluster from the endpoint's <see cref="RouteModel"/>.
        /// </summary>
        public Endpoint EndpointFor(string routeId, Endpoint route)
        {
            var endpoints = _endpoints ?? LazyInitializer.EnsureInitialized(ref _endpoints, () => new(StringComparer.Ordinal));
            if (endpoints.TryGetValue(routeId, out var bound) && ReferenceEquals(bound.Route, route))
            {
                return bound.Bound;
            }

            if (endpoints.Count >= MaxEndpoints)
            {
                endpoints.Clear();
            }

            var endpoint = Bind(route, Cluster);
            endpoints[routeId] = (route, endpoint);
            return endpoint;
        }

        private static Endpoint Bind(Endpoint route, ClusterState cluster)
        {
            var metadata = new List<object>(route.Metadata.Count);
            foreach (var item in route.Metadata)
            {
                metadata.Add(item is RouteModel model ? new RouteModel(model.Config, cluster, model.Transformer) : item);
            }

            return route is RouteEndpoint routed
                ? new RouteEndpoint(routed.RequestDelegate!, routed.RoutePattern, routed.Order, new EndpointMetadataCollection(metadata), routed.DisplayName)
                : new Endpoint(route.RequestDelegate, new EndpointMetadataCollection(metadata), route.DisplayName);
        }
    }
}
