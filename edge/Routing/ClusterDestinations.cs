using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Orleans.Proxy.Edge.Routing;

/// <summary>
/// YARP's runtime state of a cluster's destinations, the one place the edge changes it: destinations changed in
/// place, and availability recomputed after a health verdict. YARP's configuration update
/// validates, compares and rebuilds every route and cluster it holds whatever changed (tens of ms at
/// 10,000 backends), while a rollout changes only some backends' endpoints, and often.
/// </summary>
internal interface IClusterDestinations
{
    /// <summary>
    /// Gives <paramref name="clusterId"/> these destinations; false (nothing changed) when YARP does not hold
    /// the cluster or a kept destination's settings changed, which only a configuration update can change.
    /// </summary>
    bool TryReplace(string clusterId, IReadOnlyDictionary<string, DestinationConfig> destinations);

    /// <summary>Has YARP recompute the cluster's available destinations (a health verdict changed); nothing when it does not hold it.</summary>
    void RefreshAvailable(string clusterId);
}

internal sealed class YarpClusterDestinations(IServiceProvider services) : IClusterDestinations
{
    // Resolved late: YARP's updater depends on the destination policies, and the verdict policy on BackendHealthCache, which uses this.
    private readonly Lazy<(IProxyStateLookup State, IClusterDestinationsUpdater Updater)> _yarp = new(() =>
        (services.GetRequiredService<IProxyStateLookup>(), services.GetRequiredService<IClusterDestinationsUpdater>()));

    public bool TryReplace(string clusterId, IReadOnlyDictionary<string, DestinationConfig> destinations)
    {
        var (state, updater) = _yarp.Value;
        if (!state.TryGetCluster(clusterId, out var cluster))
        {
            return false;
        }

        var held = cluster.Destinations;
        foreach (var (id, config) in destinations)
        {
            if (held.TryGetValue(id, out var kept) && !kept.Model.Config.Equals(config))
            {
                return false;
            }
        }

        // What YARP's own update does for these: kept destinations keep their state (health, requests in flight).
        foreach (var (id, config) in destinations)
        {
            held.TryAdd(id, new DestinationState(id, new DestinationModel(config)));
        }

        foreach (var id in held.Keys)
        {
            if (!destinations.ContainsKey(id))
            {
                held.TryRemove(id, out _);
            }
        }

        updater.UpdateAllDestinations(cluster);
        return true;
    }

    public void RefreshAvailable(string clusterId)
    {
        var (state, updater) = _yarp.Value;
        if (state.TryGetCluster(clusterId, out var cluster) && cluster.DestinationsState is not null)
        {
            updater.UpdateAvailableDestinations(cluster);
        }
    }
}
