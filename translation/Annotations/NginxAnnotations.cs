using System.Collections.Immutable;
using Orleans.Proxy.Routing;

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

/// <summary>canary-weight(-total), canary-by-header(-value, -pattern), canary-by-cookie of a canary Ingress.</summary>
/// <param name="WeightTotal">canary-weight-total; 0 when absent (read as 100).</param>
internal sealed record NginxCanarySettings(int Weight, string? Header, string? HeaderValue, string? Cookie, string? HeaderPattern = null, int WeightTotal = 0);

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

/// <summary>
/// Reads an Ingress's ingress-nginx path, redirect, access, backend and canary annotations through
/// <see cref="AnnotationTable"/> and applies ingress-nginx's rules between them (a canary takes its
/// main Ingress's settings; canary-by-* need canary: "true").
/// </summary>
internal static class NginxAnnotations
{
    /// <summary>True for an Ingress marked canary: "true".</summary>
    public static bool IsCanary(IDictionary<string, string>? annotations) =>
        AnnotationReader.Peek(annotations, AnnotationTable.NginxCanary) is { IsValid: true, Value: true };

    /// <summary>The settings, or null when the Ingress must be refused (a rejection says why).</summary>
    public static NginxSettings? Read(AnnotationReader annotations)
    {
        var refuse = false;
        var canary = annotations.Read(AnnotationTable.NginxCanary).Value;
        NginxCanarySettings? canarySettings = null;
        if (canary)
        {
            canarySettings = ReadCanary(annotations);
            refuse |= canarySettings is null;
            // use-regex and rewrite-target still say how to read the paths, so they match the main Ingress's.
            foreach (var name in annotations.Names.Where(n => AnnotationTable.Find(n) is { Origin: AnnotationOrigin.IngressNginx, IsHonoured: true } row
                         && row.Feature != AnnotationFeature.Canary && row != AnnotationTable.NginxUseRegex && row != AnnotationTable.NginxRewriteTarget))
            {
                annotations.Reject(name, "ignored on a canary Ingress: the canary takes the main Ingress's settings, as with ingress-nginx");
            }

            if (annotations.IsSet(AnnotationTable.MatchHeaders) || annotations.IsSet(AnnotationTable.MatchQuery))
            {
                annotations.Reject(AnnotationTable.MatchHeaders.Name, "match annotations are ignored on a canary Ingress: use canary-by-header");
            }
        }
        else
        {
            foreach (var row in AnnotationTable.Read.Where(r => r.Feature == AnnotationFeature.Canary && r != AnnotationTable.NginxCanary && annotations.IsSet(r)))
            {
                annotations.Reject(row.Name, $"has no effect without {AnnotationTable.NginxCanary.Name}: \"true\"");
            }
        }

        var allow = annotations.Read(AnnotationTable.NginxWhitelistSourceRange);
        var deny = annotations.Read(AnnotationTable.NginxDenylistSourceRange);
        refuse |= allow.IsInvalid || deny.IsInvalid;
        if (refuse)
        {
            return null;
        }

        if (canary)
        {
            // Everything else comes from the main Ingress.
            var regex = annotations.Read(AnnotationTable.NginxUseRegex).Value || annotations.IsSet(AnnotationTable.NginxRewriteTarget);
            return new NginxSettings(regex, null, null, false, [], [], null, null, null, canarySettings, NginxBackendSettings.None);
        }

        var readTimeout = annotations.Read(AnnotationTable.NginxProxyReadTimeout).Value;
        var sendTimeout = annotations.Read(AnnotationTable.NginxProxySendTimeout).Value;
        var useRegex = annotations.Read(AnnotationTable.NginxUseRegex).Value;
        var rewriteTarget = annotations.Read(AnnotationTable.NginxRewriteTarget).Value;
        var sslRedirect = annotations.Read(AnnotationTable.NginxSslRedirect);
        return new NginxSettings(
            Regex: useRegex,
            RewriteTarget: rewriteTarget,
            SslRedirect: sslRedirect.IsValid ? sslRedirect.Value : null,
            ForceSslRedirect: annotations.Read(AnnotationTable.NginxForceSslRedirect).Value,
            AllowSourceRanges: allow.Value,
            DenySourceRanges: deny.Value,
            MaxRequestBodySize: annotations.Read(AnnotationTable.NginxProxyBodySize).Value,
            PermanentRedirect: annotations.Read(AnnotationTable.NginxPermanentRedirect).Value,
            AppRoot: annotations.Read(AnnotationTable.NginxAppRoot).Value,
            Canary: null,
            Backend: new NginxBackendSettings(
                annotations.Read(AnnotationTable.NginxBackendProtocol).Value,
                annotations.Read(AnnotationTable.NginxProxyConnectTimeout).Value,
                // YARP has one idle timeout for both directions: the longer of the two.
                readTimeout is null && sendTimeout is null ? null : new TimeSpan(Math.Max(readTimeout?.Ticks ?? 0, sendTimeout?.Ticks ?? 0))));
    }

    private const string RefusedCanary = "the canary Ingress is refused";

    private static NginxCanarySettings? ReadCanary(AnnotationReader annotations)
    {
        var weight = annotations.Read(AnnotationTable.NginxCanaryWeight);
        var header = annotations.Read(AnnotationTable.NginxCanaryByHeader);
        var headerValue = annotations.Read(AnnotationTable.NginxCanaryByHeaderValue);
        var ok = !weight.IsInvalid && !header.IsInvalid;
        if (!headerValue.IsAbsent && !annotations.IsSet(AnnotationTable.NginxCanaryByHeader))
        {
            annotations.Reject(AnnotationTable.NginxCanaryByHeaderValue.Name, $"needs {AnnotationTable.NginxCanaryByHeader.Name}; the canary Ingress is refused");
            ok = false;
        }

        var pattern = annotations.Read(AnnotationTable.NginxCanaryByHeaderPattern);
        if (!pattern.IsAbsent && !annotations.IsSet(AnnotationTable.NginxCanaryByHeader))
        {
            annotations.Reject(AnnotationTable.NginxCanaryByHeaderPattern.Name, $"needs {AnnotationTable.NginxCanaryByHeader.Name}; the canary Ingress is refused");
            ok = false;
        }

        var total = annotations.Read(AnnotationTable.NginxCanaryWeightTotal);
        if (weight.IsValid && total.Value < weight.Value)
        {
            annotations.Reject(AnnotationTable.NginxCanaryWeight.Name, $"'{weight.Value}' is above {AnnotationTable.NginxCanaryWeightTotal.Name} ({total.Value}), what the weight is out of; {RefusedCanary}");
            ok = false;
        }

        var cookie = annotations.Read(AnnotationTable.NginxCanaryByCookie);
        ok &= !cookie.IsInvalid && !pattern.IsInvalid && !total.IsInvalid;
        // As ingress-nginx, canary-by-header-value wins over the pattern.
        return ok ? new NginxCanarySettings(weight.Value, header.Value, headerValue.Value, cookie.Value, headerValue.IsValid ? null : pattern.Value, total.IsValid ? total.Value : 0) : null;
    }
}
