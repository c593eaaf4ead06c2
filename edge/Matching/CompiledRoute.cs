using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Orleans.Proxy.Edge.HttpRoutes;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.Edge.Matching;

/// <summary>One route, ready to be compared with requests: its path normalized as request paths are.</summary>
internal sealed class CompiledRoute
{
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(100);

    /// <param name="proxyRouteId">The YARP route that proxies it (see <see cref="ProxyRouteId"/>).</param>
    public CompiledRoute(RouteSpec spec, string? proxyRouteId, MatchingOptions options)
    {
        Spec = spec;
        ProxyRouteId = proxyRouteId;
        var normalized = PathNormalizer.Normalize(spec.Path, options);
        // A rule path that does not normalize (a stray '%') is compared as written: it matches only itself.
        var path = normalized.IsValid ? normalized.MatchPath : spec.Path;
        // Prefix matching is per element: "/foo/" is the prefix "/foo".
        Path = spec.PathMatch == PathMatchKind.Prefix && path.Length > 1 ? path.TrimEnd('/') : path;
        HttpRoute = spec.HttpRoute;
        PathRegex = spec.PathRegex is not { } pattern ? null
            // Gateway API's RegularExpression path: case-sensitive; the whole path, as Envoy-based gateways read it.
            : HttpRoute is not null ? UserRegex.WholeValue(pattern)
            : CompileUserRegex(pattern);
        Headers = spec.Headers.IsDefault ? [] : [.. spec.Headers.Select(h => new ValueCondition(h.Name, h.Value, h.Kind))];
        Query = spec.Query.IsDefault ? [] : [.. spec.Query.Select(q => new ValueCondition(q.Name, q.Value, q.Kind))];
        HostRank = RoutePrecedence.HostRank(spec);
        PathLength = HttpRoute is not null && PathRegex is not null ? RoutePrecedence.RegexPathLength : (spec.PathRegex ?? Path).Length;
        IsExact = spec.PathMatch == PathMatchKind.Exact && (HttpRoute is null || PathRegex is null);
    }

    /// <summary>
    /// A regex from an Ingress (use-regex, rewrite-target): NonBacktracking, so matching is linear in the path's length
    /// whatever the pattern ("(a+)+$" included). Backreferences, lookarounds and atomic groups have no such form; those
    /// patterns run backtracking, bounded by the match timeout (a request that runs out does not match).
    /// </summary>
    internal static Regex CompileUserRegex(string pattern)
    {
        try
        {
            return new Regex(pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.NonBacktracking, RegexTimeout);
        }
        catch (NotSupportedException)
        {
            return new Regex(pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, RegexTimeout);
        }
    }

    public RouteSpec Spec { get; }

    /// <summary>The route's own id, the one users see (access log, diagnostics, affinity, rate limits keyed by route).</summary>
    public string RouteId => Spec.RouteId;

    /// <summary>
    /// The YARP route that proxies it, which routes differing only in what they match share (its id
    /// names no route of the user's); null when YARP refused the route's settings.
    /// </summary>
    public string? ProxyRouteId { get; }

    /// <summary>Gateway API HTTPRoute behaviour; null for Ingress routes.</summary>
    public HttpRouteRule? HttpRoute { get; }

    // The keys of RoutePrecedence.Compare.
    internal int HostRank { get; }

    internal int PathLength { get; }

    internal bool IsExact { get; }

    internal int HeaderCount => Headers.Length;

    internal int QueryCount => Query.Length;

    /// <summary>The rule path as matching reads it ("/" matches every path as a Prefix).</summary>
    public string Path { get; }

    /// <summary>
    /// Ingress (use-regex / rewrite-target): case-insensitive, anchored at the start, as ingress-nginx's "location ~*".
    /// HTTPRoute: case-sensitive, the whole path, without backtracking.
    /// </summary>
    public Regex? PathRegex { get; }

    private ValueCondition[] Headers { get; }

    private ValueCondition[] Query { get; }

    public bool Matches(string matchPath, HttpRequest request) =>
        MatchesPath(matchPath) && MatchesHeaders(request) && MatchesQuery(request) && (HttpRoute is null || MatchesHttpRoute(request));

    public bool MatchesPath(string matchPath)
    {
        if (PathRegex is { } regex)
        {
            try
            {
                return regex.IsMatch(matchPath);
            }
            catch (RegexMatchTimeoutException)
            {
                // A regex that runs past its timeout does not match (the next route, or 404) rather than failing the request.
                return false;
            }
        }

        if (Spec.PathMatch == PathMatchKind.Exact)
        {
            return string.Equals(matchPath, Path, StringComparison.Ordinal);
        }

        return Path.Length == 1
            || (matchPath.StartsWith(Path, StringComparison.Ordinal) && (matchPath.Length == Path.Length || matchPath[Path.Length] == '/'));
    }

    /// <summary>The path sent to the backend: the normalized path, an HTTPRoute's URLRewrite path, or the rewrite-target built from the regex's groups.</summary>
    public string ForwardedPath(string path, string matchPath)
    {
        if (HttpRoute?.Rewrite?.Path is { } modifier)
        {
            return PathModifiers.Apply(modifier, path, matchPath, Path);
        }

        if (PathRegex is null || Spec.RewriteTarget is not { } target)
        {
            return path;
        }

        var match = PathRegex.Match(matchPath);
        if (!match.Success)
        {
            return path;
        }

        var rewritten = match.Result(target);
        return PathNormalizer.EscapeInvalid(rewritten.StartsWith('/') ? rewritten : "/" + rewritten);
    }

    /// <summary>Header names are case-insensitive; a header sent several times matches when one of its values does.</summary>
    private bool MatchesHeaders(HttpRequest request)
    {
        foreach (var header in Headers)
        {
            if (!request.Headers.TryGetValue(header.Name, out var values) || !AnyAccepted(values, header))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Ingress routes read request.Query (names folded to one case, any value of a repeated name), as
    /// they always have; HTTPRoute routes read the raw query: case-sensitive names, the first value.
    /// </summary>
    private bool MatchesQuery(HttpRequest request)
    {
        foreach (var query in Query)
        {
            var matches = HttpRoute is null
                ? request.Query.TryGetValue(query.Name, out var values) && AnyAccepted(values, query)
                : RawQuery.FirstValueAccepted(request.QueryString.Value, query);
            if (!matches)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The method (case-sensitive, as HTTP methods are) and the listener: plain HTTP or TLS.</summary>
    private bool MatchesHttpRoute(HttpRequest request)
    {
        var rule = HttpRoute!;
        if (rule.Method is { } method && !string.Equals(request.Method, method, StringComparison.Ordinal))
        {
            return false;
        }

        return rule.Listeners switch
        {
            RouteListeners.HttpOnly => !request.IsHttps,
            RouteListeners.HttpsOnly => request.IsHttps,
            _ => true,
        };
    }

    private static bool AnyAccepted(Microsoft.Extensions.Primitives.StringValues values, in ValueCondition condition)
    {
        foreach (var value in values)
        {
            if (condition.Accepts(value))
            {
                return true;
            }
        }

        return false;
    }
}
