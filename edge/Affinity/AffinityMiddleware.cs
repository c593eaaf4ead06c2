using System.Collections.Immutable;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Orleans.Proxy.Affinity;
using Orleans.Proxy.Edge.Hosting;
using Orleans.Proxy.Edge.Routing;

namespace Orleans.Proxy.Edge.Affinity;

/// <summary>
/// The proxy pipeline step before load balancing: for a route with affinity, narrows YARP's
/// available destinations to the key's pinned one. Health has already been applied to that list,
/// so a pin on an unavailable destination is never used: the grain moves it.
/// </summary>
internal sealed class AffinityMiddleware(RouteTableCache routes, AffinityPins pins, ClientIpResolver clientIp)
{
    private const int MaxKeyLength = 256;

    private RouteSpecs _specs = new(RouteTable.Empty, ImmutableDictionary<string, AffinitySpec>.Empty);

    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        var proxy = context.GetReverseProxyFeature();
        if (SpecFor(proxy.Route.Config.RouteId) is { } spec
            && proxy.AvailableDestinations.Count > 0
            && KeyOf(context, spec, clientIp) is { } key
            && await pins.PickAsync(proxy.Cluster.Config.ClusterId, key, spec, proxy.AvailableDestinations) is { } destination)
        {
            proxy.AvailableDestinations = [destination];
        }

        await next();
    }

    private AffinitySpec? SpecFor(string routeId)
    {
        var table = routes.Current;
        var specs = Volatile.Read(ref _specs);
        if (!ReferenceEquals(specs.Table, table))
        {
            specs = new RouteSpecs(table, table.Hosts.Values.SelectMany(h => h.Routes).Where(r => r.Affinity is not null)
                .ToImmutableDictionary(r => r.RouteId, r => r.Affinity!, StringComparer.Ordinal));
            Volatile.Write(ref _specs, specs);
        }

        return specs.ByRoute.GetValueOrDefault(routeId);
    }

    /// <summary>The affinity of each route of one table, rebuilt when the table changes.</summary>
    private sealed record RouteSpecs(RouteTable Table, ImmutableDictionary<string, AffinitySpec> ByRoute);

    /// <summary>
    /// The key; for cookie affinity a new random one is issued (and set on the response) when the client has none.
    /// The client address is the socket's, or from X-Forwarded-For when the socket is a trusted proxy (as for rate limits).
    /// </summary>
    internal static string? KeyOf(HttpContext context, AffinitySpec spec, ClientIpResolver clientIp)
    {
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

                var issued = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
                context.Response.Cookies.Append(spec.Name, issued, AffinityCookie.Options(spec, context.Request));
                return issued;
        }
    }
}
