using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.Silo.Routing;

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
    /// <param name="sslRedirectByDefault">The controller-wide ssl-redirect, which this Ingress's annotation overrides.</param>
    public RouteSpec ApplyTo(RouteSpec route, bool hostHasTls, bool sslRedirectByDefault) => route with
    {
        RewriteTarget = RewriteTarget,
        // As ingress-nginx, a host with TLS redirects plain HTTP unless ssl-redirect (the annotation, else the
        // global setting) is false; unlike it, only when the certificate is valid (there is no fallback certificate).
        SslRedirect = ForceSslRedirect || (hostHasTls && (SslRedirect ?? sslRedirectByDefault)),
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
        annotations is not null && annotations.TryGetValue(Annotations.NginxCanary, out var text) && bool.TryParse(text?.Trim(), out var canary) && canary;

    /// <summary>The settings, or null when the Ingress must be refused (a rejection says why).</summary>
    public static NginxSettings? Read(AnnotationReader annotations)
    {
        var refuse = false;
        var canary = ReadBool(annotations, Annotations.NginxCanary) == true;
        NginxCanarySettings? canarySettings = null;
        if (canary)
        {
            canarySettings = ReadCanary(annotations);
            refuse |= canarySettings is null;
            // use-regex and rewrite-target still say how to read the paths, so they match the main Ingress's.
            foreach (var name in annotations.Names.Where(n => n.StartsWith(Annotations.NginxPrefix, StringComparison.Ordinal)
                         && Annotations.Known.Contains(n) && !Annotations.NginxCanaryNames.Contains(n)
                         && n is not (Annotations.NginxUseRegex or Annotations.NginxRewriteTarget)))
            {
                annotations.Reject(name, "ignored on a canary Ingress: the canary takes the main Ingress's settings, as with ingress-nginx");
            }

            if (annotations.Value(Annotations.MatchHeaders) is not null || annotations.Value(Annotations.MatchQuery) is not null)
            {
                annotations.Reject(Annotations.MatchHeaders, "match annotations are ignored on a canary Ingress: use canary-by-header");
            }
        }
        else
        {
            foreach (var name in Annotations.NginxCanaryNames.Where(n => n != Annotations.NginxCanary && annotations.Value(n) is not null))
            {
                annotations.Reject(name, $"has no effect without {Annotations.NginxCanary}: \"true\"");
            }
        }

        var allow = ReadSourceRanges(annotations, Annotations.NginxWhitelistSourceRange);
        var deny = ReadSourceRanges(annotations, Annotations.NginxDenylistSourceRange);
        refuse |= allow is null || deny is null;
        if (refuse)
        {
            return null;
        }

        if (canary)
        {
            // Everything else comes from the main Ingress.
            var regex = ReadBool(annotations, Annotations.NginxUseRegex) == true || annotations.Value(Annotations.NginxRewriteTarget) is not null;
            return new NginxSettings(regex, null, null, false, [], [], null, null, null, canarySettings, NginxBackendSettings.None);
        }

        var readTimeout = ReadSeconds(annotations, Annotations.NginxProxyReadTimeout);
        var sendTimeout = ReadSeconds(annotations, Annotations.NginxProxySendTimeout);
        return new NginxSettings(
            Regex: ReadBool(annotations, Annotations.NginxUseRegex) == true,
            RewriteTarget: ReadRewriteTarget(annotations),
            SslRedirect: ReadBool(annotations, Annotations.NginxSslRedirect),
            ForceSslRedirect: ReadBool(annotations, Annotations.NginxForceSslRedirect) == true,
            AllowSourceRanges: allow!.Value,
            DenySourceRanges: deny!.Value,
            MaxRequestBodySize: ReadSize(annotations, Annotations.NginxProxyBodySize),
            PermanentRedirect: ReadPermanentRedirect(annotations),
            AppRoot: ReadAppRoot(annotations),
            Canary: null,
            Backend: new NginxBackendSettings(
                ReadProtocol(annotations),
                ReadSeconds(annotations, Annotations.NginxProxyConnectTimeout),
                // YARP has one idle timeout for both directions: the longer of the two.
                readTimeout is null && sendTimeout is null ? null : new TimeSpan(Math.Max(readTimeout?.Ticks ?? 0, sendTimeout?.Ticks ?? 0))));
    }

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

    /// <summary>Settings for a backend from two Ingresses must agree: a backend has one HTTP client.</summary>
    public static string? Conflict(NginxBackendSettings existing, string existingSource, NginxBackendSettings wanted)
    {
        if (wanted.IsNone || existing == wanted)
        {
            return null;
        }

        return $"conflicts with {existingSource}, which set this backend's protocol/timeouts first ({Describe(existing)}); a backend has one setting for all its Ingresses";
    }

    private static string Describe(NginxBackendSettings s) =>
        $"protocol {s.Protocol ?? BackendProtocol.Http}, connect {Text(s.ConnectTimeout)}, read/send {Text(s.ActivityTimeout)}";

    private static string Text(TimeSpan? t) => t is { } value ? $"{value.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s" : "default";

    private static NginxCanarySettings? ReadCanary(AnnotationReader annotations)
    {
        var ok = true;
        var weight = 0;
        if (annotations.Value(Annotations.NginxCanaryWeight) is { } weightText
            && (!int.TryParse(weightText, NumberStyles.None, CultureInfo.InvariantCulture, out weight) || weight > 100))
        {
            annotations.Reject(Annotations.NginxCanaryWeight, $"'{weightText}' is not a whole number from 0 to 100; the canary Ingress is refused");
            ok = false;
        }

        var header = annotations.Value(Annotations.NginxCanaryByHeader);
        if (header is not null && !TokenPattern().IsMatch(header))
        {
            annotations.Reject(Annotations.NginxCanaryByHeader, $"'{header}' is not a valid header name; the canary Ingress is refused");
            ok = false;
        }

        var headerValue = annotations.Value(Annotations.NginxCanaryByHeaderValue);
        if (headerValue is not null && header is null)
        {
            annotations.Reject(Annotations.NginxCanaryByHeaderValue, $"needs {Annotations.NginxCanaryByHeader}; the canary Ingress is refused");
            ok = false;
        }

        var cookie = annotations.Value(Annotations.NginxCanaryByCookie);
        if (cookie is not null && !TokenPattern().IsMatch(cookie))
        {
            annotations.Reject(Annotations.NginxCanaryByCookie, $"'{cookie}' is not a valid cookie name; the canary Ingress is refused");
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
        var text = annotations.Value(Annotations.NginxBackendProtocol);
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
                annotations.Reject(Annotations.NginxBackendProtocol, $"'{text}' is not supported (HTTP, HTTPS, GRPC, GRPCS or H2C); HTTP applies");
                return null;
        }
    }

    private static string? ReadRewriteTarget(AnnotationReader annotations)
    {
        var text = annotations.Value(Annotations.NginxRewriteTarget);
        if (text is null || text.StartsWith('/'))
        {
            return text;
        }

        annotations.Reject(Annotations.NginxRewriteTarget, $"'{text}' must be a path starting with '/'; the path is passed unchanged");
        return null;
    }

    private static string? ReadPermanentRedirect(AnnotationReader annotations)
    {
        var text = annotations.Value(Annotations.NginxPermanentRedirect);
        if (text is null || (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
        {
            return text;
        }

        annotations.Reject(Annotations.NginxPermanentRedirect, $"'{text}' is not an absolute http or https URL; no redirect");
        return null;
    }

    private static string? ReadAppRoot(AnnotationReader annotations)
    {
        var text = annotations.Value(Annotations.NginxAppRoot);
        if (text is null || (text.StartsWith('/') && text.Length > 1 && !text.StartsWith("//", StringComparison.Ordinal) && Uri.IsWellFormedUriString(text, UriKind.Relative)))
        {
            return text;
        }

        annotations.Reject(Annotations.NginxAppRoot, $"'{text}' must be a path other than '/' (e.g. /app); no redirect");
        return null;
    }

    [GeneratedRegex(@"\$(\d)")]
    private static partial Regex GroupReference();

    [GeneratedRegex(@"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")]
    private static partial Regex TokenPattern();

    [GeneratedRegex(@"^(\d+)([kKmMgG]?)$")]
    private static partial Regex SizePattern();
}
