using System.Collections.Immutable;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Orleans.Proxy.Routing;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Model;
using Yarp.ReverseProxy.Transforms;

namespace Orleans.Proxy.Edge.ControllerDefaults;

/// <summary>
/// The controller ConfigMap's global defaults on a route (hsts, compute-full-forwarded-for,
/// limit-req-status-code), carried in its YARP RouteConfig so they change atomically with it.
/// </summary>
internal static class ControllerDefaultsRoutes
{
    private const string HstsKey = "orleans-proxy.hsts";
    private const string LimitStatusKey = "orleans-proxy.limit-status";

    /// <summary>The route's defaults as metadata and transforms; a route without any is left as it is.</summary>
    public static RouteConfig WithControllerDefaults(this RouteConfig config, RouteSpec route)
    {
        if (route.StrictTransportSecurity is null && route.RateLimitStatusCode is null && !route.AppendForwardedFor)
        {
            return config;
        }

        var metadata = new Dictionary<string, string>(config.Metadata ?? ImmutableDictionary<string, string>.Empty, StringComparer.Ordinal);
        if (route.StrictTransportSecurity is { } hsts)
        {
            metadata[HstsKey] = hsts;
        }

        if (route.RateLimitStatusCode is { } status)
        {
            metadata[LimitStatusKey] = status.ToString(CultureInfo.InvariantCulture);
        }

        config = config with { Metadata = metadata };
        // YARP's default sets X-Forwarded-For to the client's address alone; Append keeps what the client sent before it.
        return route.AppendForwardedFor
            ? config.WithTransformXForwarded(xDefault: ForwardedTransformActions.Set, xFor: ForwardedTransformActions.Append)
            : config;
    }

    /// <summary>The Strict-Transport-Security value of the route the request matched; null: none.</summary>
    public static string? Hsts(RouteConfig? route) =>
        route?.Metadata is { } metadata && metadata.TryGetValue(HstsKey, out var value) ? value : null;

    /// <summary>The status for a request the route's rate limits refuse; null: the limiter's own (429).</summary>
    public static int? LimitStatus(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>()?.Config.Metadata is { } metadata
        && metadata.TryGetValue(LimitStatusKey, out var text) && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var status)
            ? status : null;
}
