using System.Collections.Immutable;
using System.Net;
using Orleans.Proxy.Edge.Routing;
using Orleans.Proxy.RateLimiting;

namespace Orleans.Proxy.Edge.RateLimiting;

/// <summary>The rate limits of each served route, indexed by route id and rebuilt when the served table changes.</summary>
internal sealed class RateLimitRoutes(RouteTableCache cache)
{
    private Index _index = new(RouteTable.Empty, ImmutableDictionary<string, ImmutableArray<Policy>>.Empty);

    public ImmutableArray<Policy> For(string routeId)
    {
        var table = cache.Current;
        var index = Volatile.Read(ref _index);
        if (!ReferenceEquals(index.Table, table))
        {
            index = new Index(table, table.Hosts.Values
                .SelectMany(h => h.Routes)
                .Where(r => !r.RateLimits.IsDefaultOrEmpty)
                .ToImmutableDictionary(r => r.RouteId, r => r.RateLimits.Select(s => new Policy(s, [.. s.Whitelist.IsDefault ? [] : s.Whitelist.Select(Parse)])).ToImmutableArray(), StringComparer.Ordinal));
            Volatile.Write(ref _index, index);
        }

        return index.Routes.TryGetValue(routeId, out var policies) ? policies : [];
    }

    // The converter validated the ranges; an unreadable one (never expected) exempts nobody.
    private static IPNetwork Parse(string range) =>
        ClientIpResolver.TryParseRange(range, out var network) ? network : new IPNetwork(IPAddress.None, 32);

    /// <summary>A policy and its parsed whitelist.</summary>
    internal sealed record Policy(RateLimitSpec Spec, IPNetwork[] Whitelist);

    private sealed record Index(RouteTable Table, ImmutableDictionary<string, ImmutableArray<Policy>> Routes);
}
