using Orleans.Proxy.Edge.Routing;
using Orleans.Proxy.Hosting.Diagnostics;
using Orleans.Proxy.RateLimiting;

namespace Orleans.Proxy.Edge.RateLimiting;

/// <summary>The rate-limit policies of the routing table this edge serves now (for diagnostics).</summary>
internal sealed class ServedRateLimitPolicies(RouteTableCache routes) : IRateLimitPolicies
{
    public RateLimitSpec? Find(string policyId) =>
        routes.Current.Hosts.Values
            .SelectMany(h => h.Routes)
            .SelectMany(r => r.RateLimits)
            .FirstOrDefault(s => string.Equals(s.PolicyId, policyId, StringComparison.Ordinal));
}
