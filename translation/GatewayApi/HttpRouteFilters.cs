using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Orleans.Proxy.Routing;
using Orleans.Proxy.Translation.Annotations;
using Orleans.Proxy.Translation.Ingress.Rules;

namespace Orleans.Proxy.Translation.GatewayApi;

/// <summary>A rule's filters, read; <see cref="Unsupported"/> names a filter the edge cannot apply (its requests are answered 500, as the spec says).</summary>
internal sealed record RuleFilters(
    HeaderModifier? RequestHeaders,
    HeaderModifier? ResponseHeaders,
    RedirectSpec? Redirect,
    RewriteSpec? Rewrite,
    ImmutableArray<(BackendObjectReference Backend, int Percent, string Field)> Mirrors,
    string? Unsupported);

/// <summary>Reads HTTPRoute filters (core and the extended ones the edge implements) into the route model.</summary>
internal static partial class HttpRouteFilters
{
    /// <summary>The filters of a rule; null and an error when they contradict each other or a match.</summary>
    public static RuleFilters? Read(IList<HttpRouteFilter>? filters, string field, IReadOnlyList<RuleMatch> matches, out (string Field, string Reason) error)
    {
        error = default;
        HeaderModifier? request = null, response = null;
        RedirectSpec? redirect = null;
        RewriteSpec? rewrite = null;
        string? unsupported = null;
        var mirrors = ImmutableArray.CreateBuilder<(BackendObjectReference, int, string)>();
        for (var k = 0; k < (filters?.Count ?? 0); k++)
        {
            var filter = filters![k];
            var at = $"{field}.filters[{k}]";
            switch (filter.Type)
            {
                case "RequestHeaderModifier" when filter.RequestHeaderModifier is { } modifier && request is null:
                    request = Headers(modifier, $"{at}.requestHeaderModifier", out error);
                    if (request is null)
                    {
                        return null;
                    }

                    break;
                case "ResponseHeaderModifier" when filter.ResponseHeaderModifier is { } modifier && response is null:
                    response = Headers(modifier, $"{at}.responseHeaderModifier", out error);
                    if (response is null)
                    {
                        return null;
                    }

                    break;
                case "RequestRedirect" when filter.RequestRedirect is { } r && redirect is null:
                    if (Path(r.Path, $"{at}.requestRedirect.path", matches, out error) is var (redirectPath, ok) && !ok)
                    {
                        return null;
                    }

                    if (r.Scheme is not (null or "http" or "https"))
                    {
                        error = ($"{at}.requestRedirect.scheme", $"scheme '{r.Scheme}' is not http or https");
                        return null;
                    }

                    if (r.StatusCode is not (null or 301 or 302))
                    {
                        error = ($"{at}.requestRedirect.statusCode", $"status {r.StatusCode} is not 301 or 302");
                        return null;
                    }

                    if (r.Hostname is not null && Hostnames.Normalize(r.Hostname) is null)
                    {
                        error = ($"{at}.requestRedirect.hostname", $"'{r.Hostname}' is not a DNS name");
                        return null;
                    }

                    if (r.Port is not (null or (>= 1 and <= 65535)))
                    {
                        error = ($"{at}.requestRedirect.port", $"port {r.Port} is not between 1 and 65535");
                        return null;
                    }

                    redirect = new RedirectSpec(r.Scheme, r.Hostname is null ? null : Hostnames.Normalize(r.Hostname), r.Port, redirectPath, r.StatusCode ?? 302);
                    break;
                case "URLRewrite" when filter.UrlRewrite is { } u && rewrite is null:
                    if (Path(u.Path, $"{at}.urlRewrite.path", matches, out error) is var (rewritePath, fine) && !fine)
                    {
                        return null;
                    }

                    if (u.Hostname is not null && Hostnames.Normalize(u.Hostname) is null)
                    {
                        error = ($"{at}.urlRewrite.hostname", $"'{u.Hostname}' is not a DNS name");
                        return null;
                    }

                    rewrite = new RewriteSpec(u.Hostname, rewritePath);
                    break;
                case "RequestMirror" when filter.RequestMirror is { BackendRef: { } backend } mirror:
                    var percent = mirror.Percent ?? (mirror.Fraction is { } f ? (int)Math.Round(100.0 * f.Numerator / (f.Denominator ?? 100)) : 100);
                    mirrors.Add((backend, Math.Clamp(percent, 0, 100), $"{at}.requestMirror.backendRef"));
                    break;
                case "RequestHeaderModifier" or "ResponseHeaderModifier" or "RequestRedirect" or "URLRewrite" or "RequestMirror":
                    error = ($"{at}", $"a {filter.Type} filter needs its {char.ToLowerInvariant(filter.Type[0])}{filter.Type[1..]} field, and may appear once per rule");
                    return null;
                default:
                    unsupported ??= $"{at}: filter type '{filter.Type}' is not supported";
                    break;
            }
        }

        if (redirect is not null && rewrite is not null)
        {
            error = ($"{field}.filters", "RequestRedirect and URLRewrite cannot be used together");
            return null;
        }

        return new RuleFilters(request, response, redirect, rewrite, mirrors.ToImmutable(), unsupported);
    }

    /// <summary>A header modifier; null and an error when a name is not a header name or a value has a control character (CR/LF would add a header).</summary>
    private static HeaderModifier? Headers(HttpHeaderFilter filter, string field, out (string Field, string Reason) error)
    {
        error = default;
        foreach (var (list, values) in new[] { ("set", filter.Set), ("add", filter.Add) })
        {
            for (var i = 0; i < (values?.Count ?? 0); i++)
            {
                var header = values![i];
                if (string.IsNullOrEmpty(header.Name) || !HeaderName().IsMatch(header.Name))
                {
                    error = ($"{field}.{list}[{i}].name", $"'{header.Name}' is not a header name");
                    return null;
                }

                if (AnnotationReader.ControlCharacter(header.Value ?? string.Empty) is { } offset)
                {
                    error = ($"{field}.{list}[{i}].value", $"the value has the control character U+{(int)header.Value![offset]:X4} at offset {offset}");
                    return null;
                }
            }
        }

        if ((filter.Remove ?? []).FirstOrDefault(n => !string.IsNullOrEmpty(n) && !HeaderName().IsMatch(n)) is { } badRemove)
        {
            error = ($"{field}.remove", $"'{badRemove}' is not a header name");
            return null;
        }

        return new(
            [.. (filter.Set ?? []).Select(h => new HeaderValue(h.Name!, h.Value ?? string.Empty))],
            [.. (filter.Add ?? []).Select(h => new HeaderValue(h.Name!, h.Value ?? string.Empty))],
            [.. (filter.Remove ?? []).Where(n => !string.IsNullOrEmpty(n))]);
    }

    /// <summary>A redirect's or rewrite's path modifier; ReplacePrefixMatch needs every match to be a PathPrefix.</summary>
    private static (PathModifier? Modifier, bool Ok) Path(HttpPathModifier? path, string field, IReadOnlyList<RuleMatch> matches, out (string Field, string Reason) error)
    {
        error = default;
        switch (path?.Type)
        {
            case null:
                return (null, true);
            case "ReplaceFullPath" or "ReplacePrefixMatch" when (path.ReplaceFullPath ?? path.ReplacePrefixMatch) is { } value && IngressRules.CheckPath(value) is { } pathError:
                error = ($"{field}", pathError);
                return (null, false);
            case "ReplaceFullPath" when path.ReplaceFullPath is { } full && full.StartsWith('/'):
                return (new PathModifier(PathModifierKind.ReplaceFullPath, full), true);
            case "ReplacePrefixMatch" when path.ReplacePrefixMatch is { } prefix && prefix.StartsWith('/'):
                if (matches.Any(m => m.Kind != PathMatchKind.Prefix || m.PathRegex is not null))
                {
                    error = ($"{field}.type", "ReplacePrefixMatch needs every match of the rule to be a PathPrefix match");
                    return (null, false);
                }

                return (new PathModifier(PathModifierKind.ReplacePrefixMatch, prefix), true);
            default:
                error = ($"{field}", $"path type '{path.Type}' needs its value (replaceFullPath or replacePrefixMatch), starting with '/'");
                return (null, false);
        }
    }

    [GeneratedRegex(@"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")]
    private static partial Regex HeaderName();
}
