using System.Collections.Immutable;

namespace Orleans.Proxy.Routing;

/// <summary>
/// More ingress-nginx behaviour of an Ingress route (<see cref="RouteSpec.Nginx"/>): the Host and
/// headers the backend gets, headers added to the answer, redirects with their own status, and a
/// mirror. Null parts are off.
/// </summary>
[GenerateSerializer, Immutable, Alias("op.NginxRouteSpec")]
public sealed record NginxRouteSpec
{
    /// <summary>The Host header sent upstream instead of the client's (upstream-vhost).</summary>
    [Id(0)]
    public string? UpstreamHost { get; init; }

    /// <summary>The X-Forwarded-Prefix header sent upstream (x-forwarded-prefix).</summary>
    [Id(1)]
    public string? ForwardedPrefix { get; init; }

    /// <summary>Every request is answered with this redirect (temporal-redirect, or permanent-redirect with permanent-redirect-code).</summary>
    [Id(2)]
    public FixedRedirect? Redirect { get; init; }

    /// <summary>The route's host is the www (or bare) twin of this host: every request is answered 308 to it, same scheme, path and query (from-to-www-redirect).</summary>
    [Id(3)]
    public string? RedirectToHost { get; init; }

    /// <summary>Headers set on every answer (custom-headers).</summary>
    [Id(4)]
    public ImmutableArray<HeaderValue> ResponseHeaders { get; init; } = [];

    /// <summary>Copies of each request go to this cluster (mirror-target).</summary>
    [Id(5)]
    public NginxMirror? Mirror { get; init; }

    /// <summary>Requests in progress per client address on each edge, counted over every route of <see cref="NginxConnectionLimit.Zone"/> (limit-connections).</summary>
    [Id(6)]
    public NginxConnectionLimit? ConnectionLimit { get; init; }

    /// <summary>The cluster that serves the route's requests while its own has no available destination (default-backend).</summary>
    [Id(7)]
    public string? FallbackClusterId { get; init; }
}

/// <summary>A redirect to a fixed URL with its status code.</summary>
[GenerateSerializer, Immutable, Alias("op.FixedRedirect")]
public sealed record FixedRedirect([property: Id(0)] string Location, [property: Id(1)] int StatusCode);

/// <summary>At most <paramref name="Limit"/> requests in progress per client address in one zone (an Ingress), on each edge.</summary>
[GenerateSerializer, Immutable, Alias("op.NginxConnectionLimit")]
public sealed record NginxConnectionLimit([property: Id(0)] string Zone, [property: Id(1)] int Limit);

/// <summary>A mirror cluster for every request of a route; <paramref name="RequestBody"/>: the copies carry the request body.</summary>
[GenerateSerializer, Immutable, Alias("op.NginxMirror")]
public sealed record NginxMirror([property: Id(0)] string ClusterId, [property: Id(1)] bool RequestBody);
