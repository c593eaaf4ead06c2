using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Orleans.Proxy.Routing;

using Orleans.Proxy.Translation.Ingress;

namespace Orleans.Proxy.Translation.Annotations;

/// <summary>
/// The ingress-nginx annotations one Ingress carries, parsed. A malformed value is rejected alone
/// (the route keeps serving without it), except where dropping it would widen access: a bad
/// source range refuses the whole Ingress, and a bad canary annotation refuses the canary Ingress.
/// </summary>
internal sealed record NginxSettings(
    bool Regex,
    string? RewriteTarget,
    bool? SslRedirect,
    bool ForceSslRedirect,
    ImmutableArray<string> AllowSourceRanges,
    ImmutableArray<string> DenySourceRanges,
    long? MaxRequestBodySize,
    string? PermanentRedirect,
    string? AppRoot,
    NginxCanarySettings? Canary,
    NginxBackendSettings Backend)
{
    /// <summary>The route with these settings; <paramref name="hostHasTls"/>: the Ingress gives the route's host a valid certificate.</summary>
    public RouteSpec ApplyTo(RouteSpec route, bool hostHasTls) => route with
    {
        RewriteTarget = RewriteTarget,
        // As ingress-nginx, a host with TLS redirects plain HTTP unless ssl-redirect is "false"; unlike it,
        // only when the certificate is valid (there is no fallback certificate to redirect to).
        SslRedirect = ForceSslRedirect || (hostHasTls && SslRedirect != false),
        AllowSourceRanges = AllowSourceRanges,
        DenySourceRanges = DenySourceRanges,
        MaxRequestBodySize = MaxRequestBodySize,
        PermanentRedirect = PermanentRedirect,
        AppRoot = AppRoot,
    };
}

/// <summary>canary-weight, canary-by-header(-value), canary-by-cookie of a canary Ingress.</summary>
internal sealed record NginxCanarySettings(int Weight, string? Header, string? HeaderValue, string? Cookie);

/// <summary>Settings that belong to the backend cluster (one HTTP client per Service port) rather than the route.</summary>
internal sealed record NginxBackendSettings(BackendProtocol? Protocol, TimeSpan? ConnectTimeout, TimeSpan? ActivityTimeout)
{
    public static NginxBackendSettings None { get; } = new(null, null, null);

    public bool IsNone => this == None;

    public BackendSpec ApplyTo(BackendSpec backend) => backend with
    {
        Destinations = Protocol is BackendProtocol.Https or BackendProtocol.Grpcs
            ? [.. backend.Destinations.Select(d => d with { Address = d.Address.Replace("http://", "https://", StringComparison.Ordinal) })]
            : backend.Destinations,
        Protocol = Protocol ?? BackendProtocol.Http,
        ConnectTimeout = ConnectTimeout,
        ActivityTimeout = ActivityTimeout,
    };
}

internal static partial class NginxAnnotations
{
    private const int MaxTimeoutSeconds = 3600;

    /// <summary>True for an Ingress marked canary: "true".</summary>
    public static bool IsCanary(IDictionary<string, string>? annotations) =>
        annotations is not null && annotations.TryGetValue(AnnotationNames.NginxCanary, out var text) && bool.TryParse(text?.Trim(), out var canary) && canary;

    /// <summary>The settings, or null when the Ingress must be refused (a rejection says why).</summary>
    public static NginxSettings? Read(AnnotationReader annotations)
    {
        var refuse = false;
        var canary = ReadBool(annotations, AnnotationNames.NginxCanary) == true;
        NginxCanarySettings? canarySettings = null;
        if (canary)
        {
            canarySettings = ReadCanary(annotations);
            refuse |= canarySettings is null;
            // use-regex and rewrite-target still say how to read the paths, so they match the main Ingress's.
            foreach (var name in annotations.Names.Where(n => n.StartsWith(AnnotationNames.NginxPrefix, StringComparison.Ordinal)
                         && AnnotationNames.Known.Contains(n) && !AnnotationNames.NginxCanaryNames.Contains(n)
                         && n is not (AnnotationNames.NginxUseRegex or AnnotationNames.NginxRewriteTarget)))
            {
                annotations.Reject(name, "ignored on a canary Ingress: the canary takes the main Ingress's settings, as with ingress-nginx");
            }

            if (annotations.Value(AnnotationNames.MatchHeaders) is not null || annotations.Value(AnnotationNames.MatchQuery) is not null)
            {
                annotations.Reject(AnnotationNames.MatchHeaders, "match annotations are ignored on a canary Ingress: use canary-by-header");
            }
        }
        else
        {
            foreach (var name in AnnotationNames.NginxCanaryNames.Where(n => n != AnnotationNames.NginxCanary && annotations.Value(n) is not null))
            {
                annotations.Reject(name, $"has no effect without {AnnotationNames.NginxCanary}: \"true\"");
            }
        }

        var allow = ReadSourceRanges(annotations, AnnotationNames.NginxWhitelistSourceRange);
        var deny = ReadSourceRanges(annotations, AnnotationNames.NginxDenylistSourceRange);
        refuse |= allow is null || deny is null;
        if (refuse)
        {
            return null;
        }

        if (canary)
        {
            // Everything else comes from the main Ingress.
            var regex = ReadBool(annotations, AnnotationNames.NginxUseRegex) == true || annotations.Value(AnnotationNames.NginxRewriteTarget) is not null;
            return new NginxSettings(regex, null, null, false, [], [], null, null, null, canarySettings, NginxBackendSettings.None);
        }

        var readTimeout = ReadSeconds(annotations, AnnotationNames.NginxProxyReadTimeout);
        var sendTimeout = ReadSeconds(annotations, AnnotationNames.NginxProxySendTimeout);
        return new NginxSettings(
            Regex: ReadBool(annotations, AnnotationNames.NginxUseRegex) == true,
            RewriteTarget: ReadRewriteTarget(annotations),
            SslRedirect: ReadBool(annotations, AnnotationNames.NginxSslRedirect),
            ForceSslRedirect: ReadBool(annotations, AnnotationNames.NginxForceSslRedirect) == true,
            AllowSourceRanges: allow!.Value,
            DenySourceRanges: deny!.Value,
            MaxRequestBodySize: ReadSize(annotations, AnnotationNames.NginxProxyBodySize),
            PermanentRedirect: ReadPermanentRedirect(annotations),
            AppRoot: ReadAppRoot(annotations),
            Canary: null,
            Backend: new NginxBackendSettings(
                ReadProtocol(annotations),
                ReadSeconds(annotations, AnnotationNames.NginxProxyConnectTimeout),
                // YARP has one idle timeout for both directions: the longer of the two.
                readTimeout is null && sendTimeout is null ? null : new TimeSpan(Math.Max(readTimeout?.Ticks ?? 0, sendTimeout?.Ticks ?? 0))));
    }

    private static NginxCanarySettings? ReadCanary(AnnotationReader annotations)
    {
        var ok = true;
        var weight = 0;
        if (annotations.Value(AnnotationNames.NginxCanaryWeight) is { } weightText
            && (!int.TryParse(weightText, NumberStyles.None, CultureInfo.InvariantCulture, out weight) || weight > 100))
        {
            annotations.Reject(AnnotationNames.NginxCanaryWeight, $"'{weightText}' is not a whole number from 0 to 100; the canary Ingress is refused");
            ok = false;
        }

        var header = annotations.Value(AnnotationNames.NginxCanaryByHeader);
        if (header is not null && !TokenPattern().IsMatch(header))
        {
            annotations.Reject(AnnotationNames.NginxCanaryByHeader, $"'{header}' is not a valid header name; the canary Ingress is refused");
            ok = false;
        }

        var headerValue = annotations.Value(AnnotationNames.NginxCanaryByHeaderValue);
        if (headerValue is not null && header is null)
        {
            annotations.Reject(AnnotationNames.NginxCanaryByHeaderValue, $"needs {AnnotationNames.NginxCanaryByHeader}; the canary Ingress is refused");
            ok = false;
        }

        var cookie = annotations.Value(AnnotationNames.NginxCanaryByCookie);
        if (cookie is not null && !TokenPattern().IsMatch(cookie))
        {
            annotations.Reject(AnnotationNames.NginxCanaryByCookie, $"'{cookie}' is not a valid cookie name; the canary Ingress is refused");
            ok = false;
        }

        return ok ? new NginxCanarySettings(weight, header, headerValue, cookie) : null;
    }

    private static bool? ReadBool(AnnotationReader annotations, string name)
    {
        var text = annotations.Value(name);
        if (text is null)
        {
            return null;
        }

        if (bool.TryParse(text, out var value))
        {
            return value;
        }

        annotations.Reject(name, $"'{text}' is not \"true\" or \"false\"; ignored");
        return null;
    }

    private static ImmutableArray<string>? ReadSourceRanges(AnnotationReader annotations, string name) =>
        annotations.Networks(name, "the Ingress is refused, since serving it without the rule would widen access");

    private static TimeSpan? ReadSeconds(AnnotationReader annotations, string name)
    {
        var text = annotations.Value(name);
        if (text is null)
        {
            return null;
        }

        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds is > 0 and <= MaxTimeoutSeconds)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        annotations.Reject(name, $"'{text}' is not a whole number of seconds from 1 to {MaxTimeoutSeconds}; the default applies");
        return null;
    }

    /// <summary>nginx size syntax: bytes, or a number with k, m or g; "0" turns the check off.</summary>
    private static long? ReadSize(AnnotationReader annotations, string name)
    {
        var text = annotations.Value(name);
        if (text is null)
        {
            return null;
        }

        var match = SizePattern().Match(text);
        if (match.Success && long.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            var multiplier = match.Groups[2].Value.ToLowerInvariant() switch
            {
                "k" => 1L << 10,
                "m" => 1L << 20,
                "g" => 1L << 30,
                _ => 1L,
            };
            if (number <= long.MaxValue / multiplier)
            {
                return number * multiplier;
            }
        }

        annotations.Reject(name, $"'{text}' is not a size (e.g. 8m, 512k, 1g, or 0 for no limit); the listener's default applies");
        return null;
    }

    private static BackendProtocol? ReadProtocol(AnnotationReader annotations)
    {
        var text = annotations.Value(AnnotationNames.NginxBackendProtocol);
        switch (text?.ToUpperInvariant())
        {
            case null:
                return null;
            case "HTTP":
                return BackendProtocol.Http;
            case "HTTPS":
                return BackendProtocol.Https;
            case "GRPC":
                return BackendProtocol.Grpc;
            case "GRPCS":
                return BackendProtocol.Grpcs;
            case "H2C":
                return BackendProtocol.H2c;
            default:
                annotations.Reject(AnnotationNames.NginxBackendProtocol, $"'{text}' is not supported (HTTP, HTTPS, GRPC, GRPCS or H2C); HTTP applies");
                return null;
        }
    }

    private static string? ReadRewriteTarget(AnnotationReader annotations)
    {
        var text = annotations.Value(AnnotationNames.NginxRewriteTarget);
        if (text is null || text.StartsWith('/'))
        {
            return text;
        }

        annotations.Reject(AnnotationNames.NginxRewriteTarget, $"'{text}' must be a path starting with '/'; the path is passed unchanged");
        return null;
    }

    private static string? ReadPermanentRedirect(AnnotationReader annotations)
    {
        var text = annotations.Value(AnnotationNames.NginxPermanentRedirect);
        if (text is null || (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
        {
            return text;
        }

        annotations.Reject(AnnotationNames.NginxPermanentRedirect, $"'{text}' is not an absolute http or https URL; no redirect");
        return null;
    }

    private static string? ReadAppRoot(AnnotationReader annotations)
    {
        var text = annotations.Value(AnnotationNames.NginxAppRoot);
        if (text is null || (text.StartsWith('/') && text.Length > 1 && !text.StartsWith("//", StringComparison.Ordinal) && Uri.IsWellFormedUriString(text, UriKind.Relative)))
        {
            return text;
        }

        annotations.Reject(AnnotationNames.NginxAppRoot, $"'{text}' must be a path other than '/' (e.g. /app); no redirect");
        return null;
    }

    [GeneratedRegex(@"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")]
    private static partial Regex TokenPattern();

    [GeneratedRegex(@"^(\d+)([kKmMgG]?)$")]
    private static partial Regex SizePattern();
}
