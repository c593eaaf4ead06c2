using Orleans.Proxy.Translation.Annotations;
using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Orleans.Proxy.Routing;
using Orleans.Proxy.Translation.Ingress.Rules;

namespace Orleans.Proxy.Translation.GatewayApi;

/// <summary>One match of a rule, read: what a route is built from.</summary>
internal sealed record RuleMatch(int Index, string Path, PathMatchKind Kind, string? PathRegex, ImmutableArray<HeaderMatch> Headers, ImmutableArray<QueryMatch> Query, string? Method);

/// <summary>
/// Reads an HTTPRoute rule's matches and filters into the route model. A match or filter that cannot
/// be served refuses its rule (a rejection names the field); the route's other rules still serve.
/// </summary>
internal static partial class HttpRouteRules
{
    private static readonly TimeSpan RegexCheckTimeout = TimeSpan.FromMilliseconds(100);
    private static readonly HashSet<string> Methods = new(StringComparer.Ordinal) { "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH" };

    /// <summary>The rule's matches (a rule without matches matches every path, as PathPrefix "/"); null and an error when one cannot be served.</summary>
    public static IReadOnlyList<RuleMatch>? ReadMatches(HttpRouteRuleSpec rule, string field, out (string Field, string Reason) error)
    {
        error = default;
        var matches = rule.Matches is { Count: > 0 } m ? m : [new HttpRouteMatch()];
        var read = new List<RuleMatch>();
        for (var j = 0; j < matches.Count; j++)
        {
            var match = matches[j];
            var at = $"{field}.matches[{j}]";
            var type = match.Path?.Type ?? "PathPrefix";
            var value = match.Path?.Value ?? "/";
            string path;
            string? regex = null;
            PathMatchKind kind;
            switch (type)
            {
                case "Exact" or "PathPrefix":
                    if (IngressRules.CheckPath(value) is { } pathError)
                    {
                        error = ($"{at}.path.value", pathError);
                        return null;
                    }

                    kind = type == "Exact" ? PathMatchKind.Exact : PathMatchKind.Prefix;
                    // A prefix matches whole path elements, so a trailing '/' changes nothing.
                    path = kind == PathMatchKind.Prefix && value.Length > 1 ? value.TrimEnd('/') : value;
                    break;
                case "RegularExpression":
                    if (Compiles(value) is { } regexError)
                    {
                        error = ($"{at}.path.value", regexError);
                        return null;
                    }

                    // On an HTTPRoute route the edge matches it against the whole path, case-sensitively.
                    regex = value;
                    path = "/";
                    kind = PathMatchKind.Prefix;
                    break;
                default:
                    error = ($"{at}.path.type", $"path type '{type}' is not one of Exact, PathPrefix, RegularExpression");
                    return null;
            }

            var headers = ReadValues(match.Headers, $"{at}.headers", ignoreCase: true, (n, v, k) => new HeaderMatch(n, v) { Kind = k }, out error);
            var query = ReadValues(match.QueryParams, $"{at}.queryParams", ignoreCase: false, (n, v, k) => new QueryMatch(n, v) { Kind = k }, out var queryError);
            if (headers is null || query is null)
            {
                error = headers is null ? error : queryError;
                return null;
            }

            if (match.Method is { } method && !Methods.Contains(method))
            {
                error = ($"{at}.method", $"method '{method}' is not one of {string.Join(", ", Methods)}");
                return null;
            }

            read.Add(new RuleMatch(j, path, kind, regex, headers.Value, query.Value, match.Method));
        }

        return read;
    }

    /// <summary>Header or query matches; a repeated name keeps its first match, as the spec says.</summary>
    private static ImmutableArray<T>? ReadValues<T>(IList<HttpValueMatch>? values, string field, bool ignoreCase, Func<string, string, ValueMatchKind, T> create, out (string Field, string Reason) error)
    {
        error = default;
        var seen = new HashSet<string>(ignoreCase ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);
        var result = ImmutableArray.CreateBuilder<T>();
        for (var k = 0; k < (values?.Count ?? 0); k++)
        {
            var value = values![k];
            var at = $"{field}[{k}]";
            if (string.IsNullOrEmpty(value.Name) || ControlOrSpace().IsMatch(value.Name))
            {
                error = ($"{at}.name", $"'{value.Name}' is not a valid name");
                return null;
            }

            var kind = value.Type switch
            {
                null or "Exact" => ValueMatchKind.Exact,
                "RegularExpression" => ValueMatchKind.RegularExpression,
                _ => (ValueMatchKind)(-1),
            };
            if ((int)kind < 0)
            {
                error = ($"{at}.type", $"match type '{value.Type}' is not one of Exact, RegularExpression");
                return null;
            }

            if (AnnotationReader.ControlCharacter(value.Value ?? string.Empty) is { } offset)
            {
                error = ($"{at}.value", $"the value has the control character U+{(int)value.Value![offset]:X4} at offset {offset}");
                return null;
            }

            if (kind == ValueMatchKind.RegularExpression && Compiles(value.Value ?? string.Empty) is { } regexError)
            {
                error = ($"{at}.value", regexError);
                return null;
            }

            if (seen.Add(value.Name))
            {
                result.Add(create(value.Name, value.Value ?? string.Empty, kind));
            }
        }

        return result.ToImmutable();
    }

    /// <summary>Why <paramref name="pattern"/> cannot be a match's regex; null when the edge can run it without backtracking.</summary>
    private static string? Compiles(string pattern)
    {
        try
        {
            _ = new Regex(pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant, RegexCheckTimeout);
            return null;
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            return $"'{pattern}' is not a regular expression the edge can run without backtracking: {e.Message}";
        }
    }

    [GeneratedRegex(@"[\s\x00-\x1f\x7f:]")]
    private static partial Regex ControlOrSpace();
}
