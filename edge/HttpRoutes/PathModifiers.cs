using Orleans.Proxy.Edge.Matching;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.Edge.HttpRoutes;

/// <summary>HTTPPathModifier: the path a URLRewrite forwards and a RequestRedirect names.</summary>
internal static class PathModifiers
{
    /// <param name="path">The request path, normalized (still percent-encoded, ';' parameters kept).</param>
    /// <param name="matchPath">The path the route matched (<see cref="NormalizedPath.MatchPath"/>).</param>
    /// <param name="prefix">The route's path as matching reads it: normalized, no trailing '/' but for "/".</param>
    public static string Apply(PathModifier modifier, string path, string matchPath, string prefix) =>
        modifier.Kind == PathModifierKind.ReplaceFullPath
            ? Rooted(modifier.Value)
            : ReplacePrefix(path, matchPath, prefix, modifier.Value);

    /// <summary>
    /// The matched prefix becomes <paramref name="replacement"/>, the rest is kept, with one '/'
    /// between them: prefix "/foo" replaced by "/" turns "/foo/bar" into "/bar", by "/xyz/" into
    /// "/xyz/bar"; an empty result is "/". The path keeps its ';' parameters when the prefix starts
    /// it too; when it does not (the prefix matched once they were set aside), the matched path is used.
    /// </summary>
    internal static string ReplacePrefix(string path, string matchPath, string prefix, string replacement)
    {
        var source = IsUnder(path, prefix) ? path : IsUnder(matchPath, prefix) ? matchPath : null;
        if (source is null)
        {
            // A route that is not a Prefix route whose path starts the request's: nothing to replace.
            return path;
        }

        var rest = source.AsSpan(prefix.Length == 1 ? 0 : prefix.Length);
        var result = string.Concat(replacement.AsSpan().TrimEnd('/'), rest);
        return result.Length == 0 ? "/" : Rooted(result);
    }

    private static bool IsUnder(string path, string prefix) =>
        prefix.Length == 1
        || (path.StartsWith(prefix, StringComparison.Ordinal) && (path.Length == prefix.Length || path[prefix.Length] == '/'));

    /// <summary>A configured path as a request path: rooted, and percent-encoded where it must be.</summary>
    private static string Rooted(string value) => PathNormalizer.EscapeInvalid(value.StartsWith('/') ? value : "/" + value);
}
