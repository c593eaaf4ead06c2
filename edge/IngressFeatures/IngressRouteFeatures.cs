using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Orleans.Proxy.Routing;
using Yarp.ReverseProxy.Configuration;

namespace Orleans.Proxy.Edge.IngressFeatures;

/// <summary>
/// The ingress-nginx behaviour of one route, carried in the YARP route's metadata (so it changes
/// atomically with the route) and compiled once per route configuration.
/// </summary>
internal sealed record IngressRouteFeatures(
    bool SslRedirect,
    string[] AllowSourceRanges,
    string[] DenySourceRanges,
    long? MaxRequestBodySize,
    string? PermanentRedirect,
    string? AppRoot,
    CanarySpec? Canary)
{
    public const string MetadataKey = "orleans-proxy.ingress";

    private static readonly ConditionalWeakTable<RouteConfig, Compiled?> Cache = new();

    /// <summary>The metadata for a route, or null when it uses none of these features.</summary>
    public static IReadOnlyDictionary<string, string>? ToMetadata(RouteSpec route)
    {
        var features = new IngressRouteFeatures(route.SslRedirect,
            [.. route.AllowSourceRanges.IsDefault ? [] : route.AllowSourceRanges], [.. route.DenySourceRanges.IsDefault ? [] : route.DenySourceRanges],
            route.MaxRequestBodySize, route.PermanentRedirect, route.AppRoot, route.Canary);
        var none = !features.SslRedirect && features.AllowSourceRanges.Length == 0
            && features.DenySourceRanges.Length == 0 && features.MaxRequestBodySize is null && features.PermanentRedirect is null
            && features.AppRoot is null && features.Canary is null;
        return none ? null : new Dictionary<string, string> { [MetadataKey] = JsonSerializer.Serialize(features) };
    }

    /// <summary>The compiled features of a route, or null when it has none.</summary>
    public static Compiled? For(RouteConfig? route) =>
        route?.Metadata is { } metadata && metadata.ContainsKey(MetadataKey)
            ? Cache.GetValue(route, r => new Compiled(JsonSerializer.Deserialize<IngressRouteFeatures>(r.Metadata![MetadataKey])!))
            : null;

    internal sealed class Compiled(IngressRouteFeatures features)
    {
        public IngressRouteFeatures Features { get; } = features;

        public IPNetwork[] Allow { get; } = [.. features.AllowSourceRanges.Select(r => IPNetwork.Parse(r))];

        public IPNetwork[] Deny { get; } = [.. features.DenySourceRanges.Select(r => IPNetwork.Parse(r))];

        /// <summary>Denied first, then allowed when an allow list is set (ingress-nginx's order).</summary>
        public bool Admits(IPAddress? client)
        {
            if (Allow.Length == 0 && Deny.Length == 0)
            {
                return true;
            }

            if (client is null)
            {
                return false;
            }

            if (client.IsIPv4MappedToIPv6)
            {
                client = client.MapToIPv4();
            }

            return !Deny.Any(n => n.Contains(client)) && (Allow.Length == 0 || Allow.Any(n => n.Contains(client)));
        }
    }
}
