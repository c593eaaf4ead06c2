using System.Collections.Immutable;

namespace Orleans.Proxy.Routing;

/// <summary>
/// Cross-origin resource sharing for a route (ingress-nginx enable-cors): the edge answers preflights
/// itself and adds the CORS headers to the backend's responses.
/// </summary>
/// <param name="AllowOrigins">Origins allowed ("https://app.example.com", "https://*.example.com" for one label), or "*" alone for any.</param>
/// <param name="AllowMethods">Methods a preflight allows.</param>
/// <param name="AllowHeaders">Request headers a preflight allows.</param>
/// <param name="ExposeHeaders">Response headers a page may read; empty: none beyond the safelisted ones.</param>
/// <param name="AllowCredentials">Access-Control-Allow-Credentials: true (the origin is then echoed, never "*").</param>
/// <param name="MaxAge">How long a browser may keep a preflight's answer.</param>
[GenerateSerializer, Immutable, Alias("op.CorsSpec")]
public sealed record CorsSpec(
    [property: Id(0)] ImmutableArray<string> AllowOrigins,
    [property: Id(1)] ImmutableArray<string> AllowMethods,
    [property: Id(2)] ImmutableArray<string> AllowHeaders,
    [property: Id(3)] ImmutableArray<string> ExposeHeaders,
    [property: Id(4)] bool AllowCredentials,
    [property: Id(5)] TimeSpan MaxAge)
{
    /// <summary>The value of <see cref="AllowOrigins"/> that allows every origin.</summary>
    public const string AnyOrigin = "*";
}
