using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Orleans.Proxy.Caching;
using Orleans.Proxy.Routing;
using Yarp.ReverseProxy.Configuration;

namespace Orleans.Proxy.Edge.Caching;

/// <summary>
/// A route's cache settings travel in its YARP RouteConfig (metadata), so they change atomically
/// with the route; parsed once per route configuration.
/// </summary>
internal static class CacheRoutes
{
    private const string MetadataKey = "orleans-proxy.cache";

    private static readonly ConditionalWeakTable<RouteConfig, CacheSpec?> Parsed = new();

    public static RouteConfig WithCaching(this RouteConfig config, RouteSpec route)
    {
        if (route.Cache is null)
        {
            return config;
        }

        var metadata = new Dictionary<string, string>(config.Metadata ?? ImmutableDictionary<string, string>.Empty, StringComparer.Ordinal)
        {
            [MetadataKey] = JsonSerializer.Serialize(route.Cache),
        };
        return config with { Metadata = metadata };
    }

    /// <summary>The route's cache settings, or null when it is not cached.</summary>
    public static CacheSpec? For(RouteConfig config) =>
        config.Metadata is null || !config.Metadata.ContainsKey(MetadataKey) ? null
            : Parsed.GetValue(config, static c => JsonSerializer.Deserialize<CacheSpec>(c.Metadata![MetadataKey]));
}
