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
/// so a pin on an unavailable destination is never used: the grain moves it. A client without the
/// affinity cookie is placed by the edge alone and gets a cookie naming that destination
/// (<see cref="AffinityCookie"/>): no grain call and no grain until it comes back, so clients that never
/// do (bots, probes, a flood) cost nothing. With session-cookie-change-on-failure, a request the
/// pinned destination failed answers with a new cookie naming another one.
/// </summary>
internal sealed class AffinityMiddleware(AffinityPins pins, ClientIpResolver clientIp)
{
    private const int MaxKeyLength = 256;

    // Not async where no affinity applies: no state machine for those requests.
    public Task InvokeAsync(HttpContext context, RequestDelegate next) =>
        context.Features.Get<RouteMatchFeature>()?.Route.Spec.Affinity is { } spec ? WithAffinityAsync(context, next, spec) : next(context);

    private async Task WithAffinityAsync(HttpContext context, RequestDelegate next, AffinitySpec spec)
    {
        var proxy = context.GetReverseProxyFeature();
        var candidates = proxy.AvailableDestinations;
        if (candidates.Count > 0 && await PlaceAsync(context, spec, proxy.Cluster.Config.ClusterId, candidates) is { } destination)
        {
            // A destination is a list of itself in YARP: no array per request.
            proxy.AvailableDestinations = destination;
        }

        await next(context);
        if (spec is { Mode: AffinityMode.Cookie, ChangeOnFailure: true } && !context.Response.HasStarted
            && context.Features.Get<IForwarderErrorFeature>() is { Error: not ForwarderError.None } && proxy.ProxiedDestination is { } failed
            && candidates.Where(d => d != failed).ToList() is { Count: > 0 } others)
        {
            context.Response.Cookies.Append(spec.Name, AffinityCookie.Issue(others[Random.Shared.Next(others.Count)]), AffinityCookie.Options(spec, context.Request));
        }
    }

    private async ValueTask<DestinationState?> PlaceAsync(HttpContext context, AffinitySpec spec, string clusterId, IReadOnlyList<DestinationState> candidates)
    {
        if (spec.Mode != AffinityMode.Cookie)
        {
            return KeyOf(context, spec, clientIp) is { } key ? await pins.PickAsync(clusterId, key, spec, candidates) : null;
        }

        var cookie = context.Request.Cookies[spec.Name];
        if (cookie is { Length: > 0 and <= MaxKeyLength })
        {
            return await pins.PickAsync(clusterId, cookie, spec, candidates, AffinityCookie.Hinted);
        }

        // A new session (or a cookie too long to use, replaced): any available destination, uniformly, as a random key's hash would pick.
        var placed = candidates[Random.Shared.Next(candidates.Count)];
        context.Response.Cookies.Append(spec.Name, AffinityCookie.Issue(placed), AffinityCookie.Options(spec, context.Request));
        return placed;
    }

    /// <summary>
    /// The key of a header or client-IP affinity. The client address is the socket's, or from X-Forwarded-For
    /// when the socket is a trusted proxy (as for rate limits).
    /// </summary>
    internal static string? KeyOf(HttpContext context, AffinitySpec spec, ClientIpResolver clientIp)
    {
        if (spec.Mode == AffinityMode.ClientIp)
        {
            return context.Connection.RemoteIpAddress is null ? null : clientIp.Resolve(context).ToString();
        }

        var header = context.Request.Headers[spec.Name].ToString();
        return header.Length is > 0 and <= MaxKeyLength ? header : null;
    }
}
