using Microsoft.AspNetCore.Http;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.Edge.HttpRoutes;

/// <summary>HTTPRequestRedirectFilter: the status and the Location of the answer.</summary>
internal static class RedirectLocation
{
    /// <summary>301 or 302 as configured (any 3xx is kept); anything else, unset included, is the spec's default 302.</summary>
    public static int StatusCode(RedirectSpec redirect) =>
        redirect.StatusCode is >= 300 and < 400 ? redirect.StatusCode : StatusCodes.Status302Found;

    /// <summary>
    /// scheme://host[:port]path?query, each part from the filter or else from the request. The port,
    /// when the filter has none: the scheme's well-known port when the filter changes the scheme,
    /// else the port the client used (the Host header's: the edge may listen on another port behind
    /// a Service). It is left out when it is the scheme's well-known one (80 for http, 443 for https).
    /// The query string is kept.
    /// </summary>
    /// <param name="path">The redirect's path: the request's as matched, or as the filter's path modifier made it.</param>
    public static string Build(RedirectSpec redirect, HttpRequest request, string path)
    {
        var scheme = redirect.Scheme ?? request.Scheme;
        var host = redirect.Hostname ?? request.Host.Host;
        var port = redirect.Port
            ?? (redirect.Scheme is not null && WellKnownPort(redirect.Scheme) is { } known ? known : request.Host.Port ?? WellKnownPort(request.Scheme));
        var authority = port is null || port == WellKnownPort(scheme) ? host : $"{host}:{port}";
        return $"{scheme}://{authority}{path}{request.QueryString}";
    }

    private static int? WellKnownPort(string scheme) =>
        string.Equals(scheme, "http", StringComparison.OrdinalIgnoreCase) ? 80
        : string.Equals(scheme, "https", StringComparison.OrdinalIgnoreCase) ? 443
        : null;
}
