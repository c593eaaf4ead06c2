using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Orleans.Proxy.Routing;
using Yarp.ReverseProxy.Configuration;

namespace Orleans.Proxy.Edge.IngressNginx;

/// <summary>
/// A route's <see cref="NginxRouteSpec"/>, carried in its YARP metadata (so it changes atomically with
/// the route, and a change rebuilds the route's transforms) and parsed once per route configuration.
/// </summary>
internal static class NginxRouteFeatures
{
    public const string MetadataKey = "orleans-proxy.nginx";

    private static readonly ConditionalWeakTable<RouteConfig, NginxRouteSpec> Cache = new();

    /// <summary>The route's settings, or null when it has none.</summary>
    public static NginxRouteSpec? For(RouteConfig? route) =>
        route?.Metadata is { } metadata && metadata.ContainsKey(MetadataKey)
            ? Cache.GetValue(route, static r => JsonSerializer.Deserialize<NginxRouteSpec>(r.Metadata![MetadataKey])!)
            : null;

    /// <summary>The route's settings in its metadata.</summary>
    public static RouteConfig WithNginxRoute(this RouteConfig config, RouteSpec route)
    {
        if (route.Nginx is not { } spec)
        {
            return config;
        }

        var metadata = new Dictionary<string, string>(config.Metadata ?? ImmutableDictionary<string, string>.Empty, StringComparer.Ordinal)
        {
            [MetadataKey] = JsonSerializer.Serialize(spec),
        };
        return config with { Metadata = metadata };
    }
}
