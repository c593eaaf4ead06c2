using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Orleans.Proxy.Affinity;
using Orleans.Proxy.Edge.Hosting;
using Orleans.Proxy.Edge.Matching;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Orleans.Proxy.Edge.Affinity;

/// <summary>
/// The proxy pipeline step before load balancing: for a route with affinity (the matched route's
/// own: routes with and without it may share one YARP route), narrows YARP's available destinations to the key's pinned one. Health has already been applied to that list,
/// so a pin on an unavailable destination is never used: the grain moves it. With
/// session-cookie-change-on-failure, a request the pinned destination failed answers with a new cookie.
/// </summary>
internal sealed class AffinityMiddleware(AffinityPins pins, ClientIpResolver clientIp)
{
    private const int MaxKeyLength = 256;

    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        var proxy = context.GetReverseProxyFeature();
        var spec = context.Features.Get<RouteMatchFeature>()?.Route.Spec.Affinity;
        var candidates = proxy.AvailableDestinations;
        if (spec is not null
            && candidates.Count > 0
            && KeyOf(context, spec, clientIp, out var issued) is { } key
            && await pins.PickAsync(proxy.Cluster.Config.ClusterId, key, spec, candidates, issued) is { } destination)
        {
            // A destination is a list of itself in YARP: no array per request.
            proxy.AvailableDestinations = destination;
        }

        await next();
        if (spec is { Mode: AffinityMode.Cookie, ChangeOnFailure: true } && !context.Response.HasStarted
            && context.Features.Get<IForwarderErrorFeature>() is { Error: not ForwarderError.None } && proxy.ProxiedDestination is { } failed)
        {
            context.Response.Cookies.Append(spec.Name, KeyAvoiding(failed.DestinationId, candidates), AffinityCookie.Options(spec, context.Request));
        }
    }

    /// <summary>
    /// A new random key whose rendezvous hash over the destinations is not <paramref name="failedId"/>: the grain
    /// pins a new key by that hash, so the next request goes elsewhere (session-cookie-change-on-failure).
    /// </summary>
    private static string KeyAvoiding(string failedId, IReadOnlyList<DestinationState> candidates)
    {
        var ids = candidates.Select(d => d.DestinationId).ToList();
        string key;
        var tries = 0;
        do
        {
            key = NewKey();
        }
        // Each try lands elsewhere with probability (n - 1) / n: a handful at most; with one destination, any key.
        while (ids.Count > 1 && RendezvousHash.Pick(key, ids) == failedId && ++tries < 32);
        return key;
    }

    private static string NewKey() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>
    /// The key; for cookie affinity a new random one is issued (and set on the response) when the client has none,
    /// and <paramref name="issued"/> says so. The client address is the socket's, or from X-Forwarded-For when the
    /// socket is a trusted proxy (as for rate limits).
    /// </summary>
    internal static string? KeyOf(HttpContext context, AffinitySpec spec, ClientIpResolver clientIp, out bool issued)
    {
        issued = false;
        switch (spec.Mode)
        {
            case AffinityMode.Header:
                var header = context.Request.Headers[spec.Name].ToString();
                return header.Length is > 0 and <= MaxKeyLength ? header : null;
            case AffinityMode.ClientIp:
                return context.Connection.RemoteIpAddress is null ? null : clientIp.Resolve(context).ToString();
            default:
                var cookie = context.Request.Cookies[spec.Name];
                if (cookie is { Length: > 0 and <= MaxKeyLength })
                {
                    return cookie;
                }

                var key = NewKey();
                context.Response.Cookies.Append(spec.Name, key, AffinityCookie.Options(spec, context.Request));
                issued = true;
                return key;
        }
    }
}
