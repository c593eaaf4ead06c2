using System.Collections.Immutable;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Orleans.Proxy.Edge.Hosting;
using Orleans.Proxy.RateLimiting;
using Orleans.Proxy.Routing;
using Yarp.ReverseProxy.Configuration;

namespace Orleans.Proxy.Edge.RateLimiting;

/// <summary>
/// A route's rate limits travel inside its YARP RouteConfig (metadata), so the limiter reads them
/// from the very config YARP matched: no window in which a new route is served before its limits are known.
/// </summary>
internal static class RateLimitRoutes
{
    private const string MetadataKey = "orleans-proxy.rate-limits";

    private static readonly ConditionalWeakTable<RouteConfig, Policy[]> Parsed = new();

    /// <summary>Names the shared policy and carries the specs; a route without limits is left as it is.</summary>
    public static RouteConfig WithRateLimits(this RouteConfig config, RouteSpec route)
    {
        if (route.RateLimits.IsDefaultOrEmpty)
        {
            return config;
        }

        var metadata = new Dictionary<string, string>(config.Metadata ?? ImmutableDictionary<string, string>.Empty, StringComparer.Ordinal)
        {
            [MetadataKey] = JsonSerializer.Serialize(route.RateLimits),
        };
        return config with { RateLimiterPolicy = RateLimitingExtensions.PolicyName, Metadata = metadata };
    }

    public static Policy[] For(RouteConfig config) => Parsed.GetValue(config, static c =>
        c.Metadata?.TryGetValue(MetadataKey, out var json) == true
            ? [.. JsonSerializer.Deserialize<RateLimitSpec[]>(json)!.Select(s => new Policy(s, [.. s.Whitelist.IsDefault ? [] : s.Whitelist.Select(Parse)]))]
            : []);

    // The converter validated the ranges; an unreadable one (never expected) exempts nobody.
    private static IPNetwork Parse(string range) =>
        ClientIpResolver.TryParseRange(range, out var network) ? network : new IPNetwork(IPAddress.None, 32);

    /// <summary>A policy and its parsed whitelist.</summary>
    internal sealed record Policy(RateLimitSpec Spec, IPNetwork[] Whitelist)
    {
        /// <summary>The bucket grain key before the partition, built once rather than on every request.</summary>
        public string KeyPrefix { get; } = IRateLimitGrain.Key(Spec, string.Empty);
    }
}
