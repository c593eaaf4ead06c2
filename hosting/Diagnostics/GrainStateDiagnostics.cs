using Microsoft.AspNetCore.Http;
using Orleans.Proxy.Affinity;
using Orleans.Proxy.Health;
using Orleans.Proxy.RateLimiting;

namespace Orleans.Proxy.Hosting.Diagnostics;

/// <summary>The health verdict and recent probes of a backend, from its grain, in /diag/cluster/backends/{id}.</summary>
internal sealed class BackendHealthDiagnostics(IGrainFactory grains) : IBackendDiagnostics
{
    public string Section => "health";

    public async Task<IReadOnlyList<IReadOnlyDictionary<string, object?>>> DescribeAsync(string clusterId, CancellationToken cancellationToken)
    {
        var report = await grains.GetGrain<IBackendHealthGrain>(clusterId).GetHealthReport();
        return [.. report.Destinations.Select(d => (IReadOnlyDictionary<string, object?>)new Dictionary<string, object?>
        {
            ["destination"] = d.DestinationId,
            ["available"] = d.Available,
            ["probe"] = d.Active.ToString(),
            ["ejectedUntil"] = d.EjectedUntil,
            ["windowRequests"] = d.WindowRequests,
            ["windowFailures"] = d.WindowFailures,
            ["lastProbe"] = d.RecentProbes.IsDefaultOrEmpty ? null : $"{d.RecentProbes[0].Outcome} in {d.RecentProbes[0].Milliseconds:0.#} ms",
        })];
    }
}

/// <summary>
/// One shared rate-limit bucket, from its grain: /diag/cluster/views/ratelimits?policy=ns/name/kind&amp;partition=...
/// (one row per edge holding a lease; the bucket's figures on every row). The policy may carry its
/// settings ("ns/name/kind#permits/s|m/burst", as an edge's /diag/ratelimits lists bucket keys); without
/// them they are looked up in the routes this process serves.
/// </summary>
internal sealed class RateLimitDiagnostics(IGrainFactory grains, IRateLimitPolicies? policies = null) : IClusterDiagnosticsView
{
    public string Name => "ratelimits";

    public async Task<IReadOnlyList<IReadOnlyDictionary<string, object?>>> QueryAsync(IQueryCollection query, CancellationToken cancellationToken)
    {
        var policy = query["policy"].ToString();
        if (policy.Length == 0)
        {
            throw new BadHttpRequestException("ratelimits needs ?policy=namespace/ingress/kind&partition=... (the partition is the client address, header value, route id or host)");
        }

        var policyKey = policy.Contains('#', StringComparison.Ordinal) ? policy
            : policies?.Find(policy) is { } spec ? IRateLimitGrain.PolicyKey(spec)
            : throw new BadHttpRequestException(
                $"policy '{policy}' is not in the routes this process serves; name it with its settings, as an edge's /diag/ratelimits lists bucket keys: {policy}#<permits>/<s|m>/<burst>");
        var state = await grains.GetGrain<IRateLimitGrain>($"{policyKey}|{query["partition"]}").GetState();
        var bucket = new Dictionary<string, object?>
        {
            ["bucket"] = state.Key,
            ["active"] = state.Active,
            ["tokensLeft"] = Math.Round(state.TokensLeft, 1),
            ["capacity"] = state.Capacity,
            ["ratePerSecond"] = state.RatePerSecond,
            ["silo"] = state.Silo,
        };
        if (state.Edges.IsDefaultOrEmpty)
        {
            return [bucket];
        }

        return [.. state.Edges.Select(e => (IReadOnlyDictionary<string, object?>)new Dictionary<string, object?>(bucket)
        {
            ["edge"] = e.EdgeId,
            ["held"] = e.Held,
            ["heldUntil"] = e.HeldUntil,
            ["recentRate"] = Math.Round(e.RecentRate, 1),
        })];
    }
}

/// <summary>
/// Where a sticky-session key is pinned: /diag/cluster/views/affinity?cluster=ns/service:port&amp;key=...
/// (read only: looking does not pin the key or extend its TTL). No pin: the key's next request takes
/// the rendezvous hash over the healthy destinations.
/// </summary>
internal sealed class AffinityDiagnostics(IGrainFactory grains) : IClusterDiagnosticsView
{
    public string Name => "affinity";

    public async Task<IReadOnlyList<IReadOnlyDictionary<string, object?>>> QueryAsync(IQueryCollection query, CancellationToken cancellationToken)
    {
        var cluster = query["cluster"].ToString();
        var key = query["key"].ToString();
        if (cluster.Length == 0 || key.Length == 0)
        {
            throw new BadHttpRequestException("affinity needs ?cluster=namespace/service:port&key=... (the cookie value, header value or client address)");
        }

        var peek = await grains.GetGrain<IAffinityGrain>(IAffinityGrain.Key(cluster, key)).Peek();
        return
        [
            new Dictionary<string, object?>
            {
                ["cluster"] = cluster,
                ["key"] = key,
                ["pinned"] = peek.DestinationId,
                ["lastUsed"] = peek.LastUsed,
                ["repins"] = peek.Repins,
            },
        ];
    }
}
