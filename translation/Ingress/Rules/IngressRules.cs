using System.Globalization;
using System.Text.RegularExpressions;
using k8s.Models;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.Translation.Ingress.Rules;

/// <summary>How an Ingress's paths are read: as Kubernetes paths, or (use-regex / rewrite-target) as ingress-nginx regexes.</summary>
/// <param name="Regex">Paths are regexes (use-regex, or a rewrite-target, which implies it in ingress-nginx).</param>
/// <param name="RewriteTarget">The rewrite target whose $n references the regex must provide; null without one.</param>
internal sealed record PathSyntax(bool Regex, string? RewriteTarget)
{
    public static PathSyntax Kubernetes { get; } = new(false, null);
}

/// <summary>One valid path of one valid rule: what a route is built from, once its backend resolves.</summary>
/// <param name="Id">"rule.path", the suffix of the route id.</param>
/// <param name="Field">The path's field, e.g. "spec.rules[0].http.paths[1]", for rejections about it.</param>
/// <param name="Path">The path to match; with a regex, the literal prefix it begins with.</param>
internal sealed record IngressPath(string Id, string Field, string Host, string Path, PathMatchKind Kind, string? PathRegex, V1IngressBackend Backend);

/// <summary>
/// Walks spec.rules: validates each host and path, and yields the paths that can become routes.
/// A bad host or path is rejected alone, with the field that names it; the other paths still route.
/// </summary>
internal static partial class IngressRules
{
    /// <summary>Keeps route ordering arithmetic (path length x 8 within a host rank) in range.</summary>
    public const int MaxPathLength = 8192;

    /// <summary>
    /// The valid paths of <paramref name="spec"/>, in order. Lazy: a rejection for a path is added when
    /// the walk reaches it, so rejections stay in field order with those the caller adds for each path.
    /// </summary>
    public static IEnumerable<IngressPath> Walk(string source, V1IngressSpec? spec, PathSyntax syntax, ICollection<Rejection> rejections)
    {
        var rules = spec?.Rules ?? [];
        for (var r = 0; r < rules.Count; r++)
        {
            var rule = rules[r];
            var ruleField = $"spec.rules[{r}]";
            var host = NormalizeHost(rule.Host);
            if (host is null)
            {
                rejections.Add(new Rejection(source, $"{ruleField}.host", $"'{rule.Host}' is not a valid host name (DNS name, or '*.' followed by one)"));
                continue;
            }

            var paths = rule.Http?.Paths ?? [];
            if (paths.Count == 0)
            {
                rejections.Add(new Rejection(source, $"{ruleField}.http.paths", "the rule has no paths"));
                continue;
            }

            for (var p = 0; p < paths.Count; p++)
            {
                var path = paths[p];
                var pathField = $"{ruleField}.http.paths[{p}]";
                var read = ReadPath(path, syntax);
                if (read.Error is { } error)
                {
                    rejections.Add(new Rejection(source, $"{pathField}.{read.ErrorField}", error));
                    continue;
                }

                if (path.Backend is null)
                {
                    rejections.Add(new Rejection(source, $"{pathField}.backend", "the path has no backend"));
                    continue;
                }

                yield return new IngressPath($"{r}.{p}", pathField, host, read.Path, read.Kind, read.PathRegex, path.Backend);
            }
        }
    }

    /// <summary>The host in lower case; <see cref="IngressConverter.AnyHost"/> when empty; null when it is not a DNS name or a '*.' wildcard of one.</summary>
    public static string? NormalizeHost(string? host)
    {
        if (string.IsNullOrEmpty(host))
        {
            return IngressConverter.AnyHost;
        }

        host = host.ToLowerInvariant();
        var name = host.StartsWith("*.", StringComparison.Ordinal) ? host[2..] : host;
        return name.Length <= 253 && DnsNamePattern().IsMatch(name) ? host : null;
    }

    /// <summary>A path read: what to match, or an error and the field (relative to the path) it concerns.</summary>
    internal sealed record PathRead(string Path, PathMatchKind Kind, string? PathRegex, string? Error, string ErrorField)
    {
        public static PathRead Failed(string field, string error) => new(string.Empty, PathMatchKind.Prefix, null, error, field);
    }

    /// <summary>Reads pathType and path; with a regex syntax, the path as an ingress-nginx regex.</summary>
    public static PathRead ReadPath(V1HTTPIngressPath path, PathSyntax syntax)
    {
        var routePath = path.Path ?? string.Empty;
        var kind = PathMatchKind.Prefix;
        switch (path.PathType)
        {
            case "Exact":
                kind = PathMatchKind.Exact;
                break;
            case "Prefix":
                break;
            case "ImplementationSpecific":
                if (routePath.Length == 0)
                {
                    routePath = "/";
                }

                break;
            case null or "":
                return PathRead.Failed("pathType", "pathType is required: Exact, Prefix or ImplementationSpecific");
            default:
                return PathRead.Failed("pathType", $"pathType '{path.PathType}' is not one of Exact, Prefix, ImplementationSpecific");
        }

        if (syntax.Regex || syntax.RewriteTarget is not null)
        {
            // ingress-nginx reads the path as a regex when either is set; the regex decides, as a prefix match.
            return ReadRegexPath(path.Path, syntax.RewriteTarget, out var regexError) is { } regexPath
                ? new PathRead(regexPath.Prefix, PathMatchKind.Prefix, regexPath.Regex, null, "path")
                : PathRead.Failed("path", regexError);
        }

        if (CheckPath(routePath) is { } pathError)
        {
            return PathRead.Failed("path", pathError);
        }

        // Prefix matching is element-wise, so a trailing '/' changes nothing.
        if (kind == PathMatchKind.Prefix && routePath.Length > 1)
        {
            routePath = routePath.TrimEnd('/');
        }

        return new PathRead(routePath, kind, null, null, "path");
    }

    /// <summary>Why <paramref name="path"/> cannot be a rule's literal path; null when it can.</summary>
    public static string? CheckPath(string path) =>
        !path.StartsWith('/') ? $"path '{path}' must be an absolute path starting with '/'"
        : path.Length > MaxPathLength ? $"path is {path.Length} characters long; at most {MaxPathLength} are allowed"
        : !PathPattern().IsMatch(path) ? $"path '{path}' may contain only URL path characters (no '{{', '}}', '?', '#', '//', spaces or control characters)"
        : DotSegmentOrEncodedControl().IsMatch(path) ? $"path '{path}' has a '.' or '..' segment (plain or percent-encoded) or an encoded control character: request paths lose their dot segments before matching, so the rule would not mean what it says"
        : null;

    /// <summary>
    /// Reads a use-regex / rewrite-target path: a case-insensitive regex anchored at the start, as
    /// ingress-nginx's "location ~*" does. Returns the regex and the literal prefix it begins with,
    /// cut at the last '/', which YARP matches first; null and an error when it does not compile.
    /// </summary>
    public static (string Regex, string Prefix)? ReadRegexPath(string? path, string? rewriteTarget, out string error)
    {
        error = string.Empty;
        if (string.IsNullOrEmpty(path) || path[0] != '/')
        {
            error = $"path '{path}' must start with '/'";
            return null;
        }

        Regex regex;
        try
        {
            regex = new Regex("^" + path, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
        }
        catch (ArgumentException e)
        {
            error = $"path '{path}' is not a valid regular expression: {e.Message}";
            return null;
        }

        if (rewriteTarget is not null)
        {
            var groups = regex.GetGroupNumbers().Max();
            var missing = GroupReference().Matches(rewriteTarget)
                .Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))
                .FirstOrDefault(n => n > groups);
            if (missing > 0)
            {
                error = $"rewrite-target '{rewriteTarget}' uses ${missing} but path '{path}' has only {groups} capture group(s)";
                return null;
            }
        }

        var literal = path.Length;
        for (var i = 0; i < path.Length; i++)
        {
            if (@".^$*+?()[]{}|\".Contains(path[i], StringComparison.Ordinal))
            {
                // A quantifier makes the character before it optional.
                literal = path[i] is '*' or '?' or '{' ? i - 1 : i;
                break;
            }
        }

        var prefix = path[..Math.Max(1, path.LastIndexOf('/', Math.Max(0, literal - 1)) + 1)];
        return ("^" + path, prefix.Length > 1 ? prefix.TrimEnd('/') : "/");
    }

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$")]
    private static partial Regex DnsNamePattern();

    [GeneratedRegex(@"^(/[A-Za-z0-9\-._~!$&'()*+,;=:@%]*)+$")]
    private static partial Regex PathPattern();

    [GeneratedRegex(@"(^|/)(\.|%2[eE]){1,2}(/|$)|%([01][0-9a-fA-F]|7[fF])")]
    private static partial Regex DotSegmentOrEncodedControl();

    [GeneratedRegex(@"\$(\d)")]
    private static partial Regex GroupReference();
}
