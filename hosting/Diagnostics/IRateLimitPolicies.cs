using Orleans.Proxy.RateLimiting;

namespace Orleans.Proxy.Hosting.Diagnostics;

/// <summary>
/// The rate-limit policies this process serves, by id, so a diagnostics query can name a bucket by
/// "namespace/ingress/kind" alone (its key also holds the policy's settings). Edges have one; a silo
/// without it asks for the settings too.
/// </summary>
public interface IRateLimitPolicies
{
    RateLimitSpec? Find(string policyId);
}
