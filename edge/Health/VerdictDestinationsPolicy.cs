using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Orleans.Proxy.Edge.Health;

/// <summary>
/// YARP's available destinations for every cluster: all of them minus those the cluster-wide verdict
/// takes out. YARP consults this policy on every recomputation, whether or not its own health checks
/// are on. Without a verdict (no health checks, or the grains unreachable) it falls back to YARP's
/// local passive state, which is on for backends with passive health.
/// </summary>
internal sealed class VerdictDestinationsPolicy(BackendHealthCache verdicts) : IAvailableDestinationsPolicy
{
    public const string PolicyName = "OrleansProxy.ClusterVerdict";

    public string Name => PolicyName;

    public IReadOnlyList<DestinationState> GetAvailalableDestinations(ClusterConfig config, IReadOnlyList<DestinationState> allDestinations)
    {
        if (verdicts.UnavailableFor(config.ClusterId) is { } unavailable)
        {
            return unavailable.IsEmpty ? allDestinations : [.. allDestinations.Where(d => !unavailable.Contains(d.DestinationId, StringComparer.Ordinal))];
        }

        return config.HealthCheck?.Passive?.Enabled == true
            ? [.. allDestinations.Where(d => d.Health.Passive != DestinationHealth.Unhealthy)]
            : allDestinations;
    }
}
