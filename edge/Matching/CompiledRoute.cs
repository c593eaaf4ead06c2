using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.Edge.Matching;

/// <summary>One route, ready to be compared with requests: its path normalized as request paths are.</summary>
internal sealed class CompiledRoute
{
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(100);

    public CompiledRoute(RouteSpec spec, MatchingOptions options)
    {
        Spec = spec;
        var normalized = PathNormalizer.Normalize(spec.Path, options);
        // A rule path that does not normalize (a stray '%') is compared as written: it matches only itself.
        var path = normalized.IsValid ? normalized.MatchPath : spec.Path;
        // Prefix matching is per element: "/foo/" is the prefix "/foo".
        Path = spec.PathMatch == PathMatchKind.Prefix && path.Length > 1 ? path.TrimEnd('/') : path;
        PathRegex = spec.PathRegex is { } pattern ? CompileUserRegex(pattern) : null;
        Rank = RoutePrecedence.Rank(spec, Path);
        Headers = spec.Headers.IsDefault ? [] : [.. spec.Headers];
        Query = spec.Query.IsDefault ? [] : [.. spec.Query];
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

    public string RouteId => Spec.RouteId;

    /// <summary>Lower is tried first (see <see cref="RoutePrecedence"/>).</summary>
    public int Rank { get; }

    /// <summary>The rule path as matching reads it ("/" matches every path as a Prefix).</summary>
    public string Path { get; }

    /// <summary>use-regex / rewrite-target: case-insensitive, anchored at the start, as ingress-nginx's "location ~*".</summary>
    public Regex? PathRegex { get; }

    private HeaderMatch[] Headers { get; }

    private QueryMatch[] Query { get; }

    public bool Matches(string matchPath, HttpRequest request) =>
        MatchesPath(matchPath) && MatchesHeaders(request) && MatchesQuery(request);

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

    /// <summary>The path sent to the backend: the normalized path, or the rewrite-target built from the regex's groups.</summary>
    public string ForwardedPath(string path, string matchPath)
    {
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

    private bool MatchesHeaders(HttpRequest request)
    {
        foreach (var header in Headers)
        {
            if (!request.Headers.TryGetValue(header.Name, out var values) || !Contains(values, header.Value))
            {
                return false;
            }
        }

        return true;
    }

    private bool MatchesQuery(HttpRequest request)
    {
        foreach (var query in Query)
        {
            if (!request.Query.TryGetValue(query.Name, out var values) || !Contains(values, query.Value))
            {
                return false;
            }
        }

        return true;
    }

    private static bool Contains(Microsoft.Extensions.Primitives.StringValues values, string wanted)
    {
        foreach (var value in values)
        {
            if (string.Equals(value, wanted, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>
/// The order routes are tried in; the first that matches serves. Exact hosts before wildcard hosts
/// before rules without a host before the default backend (the host is looked up in that order);
/// within one host, the longest path first, Exact before Prefix at equal length, and a route with
/// header or query matches before one without. Lower is first.
/// </summary>
internal static class RoutePrecedence
{
    /// <param name="path">The rule path as matching reads it (normalized); the route's own when not given.</param>
    public static int Rank(RouteSpec route, string? path = null)
    {
        var hostRank = route.IsDefaultBackend ? 3 : route.Host == "*" ? 2 : route.Host.StartsWith("*.", StringComparison.Ordinal) ? 1 : 0;
        var matchers = Math.Min(route.Headers.Length + route.Query.Length, 3);
        var specificity = ((route.PathRegex ?? path ?? route.Path).Length * 8) + (route.PathMatch == PathMatchKind.Exact ? 4 : 0) + matchers;
        return (hostRank * 1_000_000) - specificity;
    }

    public static int Compare(CompiledRoute a, CompiledRoute b)
    {
        var byRank = a.Rank.CompareTo(b.Rank);
        return byRank != 0 ? byRank : string.CompareOrdinal(a.RouteId, b.RouteId);
    }
}
