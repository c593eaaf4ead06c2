using System.Collections.Frozen;
using System.Collections.Immutable;
using k8s.Models;
using Orleans.Proxy.Routing;
using T = Orleans.Proxy.Translation.Annotations.AnnotationTable;

namespace Orleans.Proxy.Translation.Annotations;

/// <summary>
/// An Ingress's upstream-header, response-header, redirect, alias and mirror annotations, parsed.
/// <see cref="Route"/> holds what every route of the Ingress carries; aliases, the www twin and the
/// mirror target need the other Ingresses and the Services, so the converter resolves them.
/// </summary>
internal sealed record NginxRouteSettings(
    NginxRouteSpec Route,
    ImmutableArray<string> Aliases,
    bool FromToWww,
    Uri? MirrorTarget,
    string? DefaultBackend,
    bool MirrorRequestBody,
    int? PermanentRedirectCode)
{
    public static NginxRouteSettings None { get; } = new(new NginxRouteSpec(), [], false, null, null, true, null);

    /// <summary>The route with these settings; <paramref name="mirrorClusterId"/>, <paramref name="fallbackClusterId"/>: the clusters mirror-target and default-backend resolved to.</summary>
    public RouteSpec ApplyTo(RouteSpec route, string? mirrorClusterId, string? fallbackClusterId)
    {
        var spec = Route with { FallbackClusterId = fallbackClusterId };
        if (spec.Redirect is null && PermanentRedirectCode is { } code && route.PermanentRedirect is { } location)
        {
            spec = spec with { Redirect = new FixedRedirect(location, code) };
        }

        if (mirrorClusterId is not null)
        {
            spec = spec with { Mirror = new NginxMirror(mirrorClusterId, MirrorRequestBody) };
        }

        var none = spec.UpstreamHost is null && spec.ForwardedPrefix is null && spec.Redirect is null && spec.RedirectToHost is null
            && spec.ResponseHeaders.IsDefaultOrEmpty && spec.Mirror is null && spec.ConnectionLimit is null && spec.FallbackClusterId is null;
        return none ? route : route with
        {
            Nginx = spec,
            // The redirect with its own status replaces permanent-redirect's 301 (temporal-redirect wins, as in ingress-nginx).
            PermanentRedirect = spec.Redirect is null ? route.PermanentRedirect : null,
        };
    }
}

/// <summary>Reads <see cref="NginxRouteSettings"/> through <see cref="AnnotationTable"/>; a malformed value is rejected alone.</summary>
internal static class NginxRouteAnnotations
{
    /// <summary>Headers custom-headers may not set: they describe the connection or the body's framing, which the edge owns.</summary>
    private static readonly FrozenSet<string> Reserved = FrozenSet.Create(StringComparer.OrdinalIgnoreCase,
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "content-length", "upgrade", "te", "trailer", "host");

    /// <param name="ns">The Ingress's namespace.</param>
    /// <param name="configMaps">The ConfigMaps custom-headers may name.</param>
    /// <param name="objectKey">The Ingress ("namespace/name"): its paths share one connection count.</param>
    public static NginxRouteSettings Read(AnnotationReader a, string ns, string objectKey, IReadOnlyCollection<V1ConfigMap> configMaps)
    {
        var connections = a.Read(T.NginxLimitConnections).Value;
        var temporal = a.Read(T.NginxTemporalRedirect).Value;
        var code = a.Read(T.NginxPermanentRedirectCode);
        if (!code.IsAbsent && !a.IsSet(T.NginxPermanentRedirect))
        {
            a.Reject(T.NginxPermanentRedirectCode.Name, $"has no effect without {T.NginxPermanentRedirect.Name}");
        }

        var mirror = a.Read(T.NginxMirrorTarget).Value;
        var body = a.Read(T.NginxMirrorRequestBody);
        if (!body.IsAbsent && !a.IsSet(T.NginxMirrorTarget))
        {
            a.Reject(T.NginxMirrorRequestBody.Name, $"has no effect without {T.NginxMirrorTarget.Name}");
        }

        return new NginxRouteSettings(
            new NginxRouteSpec
            {
                UpstreamHost = a.Read(T.NginxUpstreamVhost).Value,
                ForwardedPrefix = a.Read(T.NginxXForwardedPrefix).Value,
                Redirect = temporal is null ? null : new FixedRedirect(temporal, 302),
                ResponseHeaders = ReadCustomHeaders(a, ns, configMaps),
                ConnectionLimit = connections > 0 ? new NginxConnectionLimit(objectKey, connections) : null,
            },
            a.Read(T.NginxServerAlias).Value,
            a.Read(T.NginxFromToWwwRedirect).Value,
            mirror,
            a.Read(T.NginxDefaultBackend).Value,
            body.Value,
            code.IsValid ? code.Value : null);
    }

    private static ImmutableArray<HeaderValue> ReadCustomHeaders(AnnotationReader a, string ns, IReadOnlyCollection<V1ConfigMap> configMaps)
    {
        var reference = a.Read(T.NginxCustomHeaders);
        if (!reference.IsValid)
        {
            return [];
        }

        var (refNamespace, name) = reference.Value;
        if (refNamespace is not null && refNamespace != ns)
        {
            a.Reject(T.NginxCustomHeaders.Name, $"ConfigMap '{refNamespace}/{name}' is in another namespace than the Ingress ('{ns}'); only the Ingress's own namespace is read; no header is added");
            return [];
        }

        var configMap = configMaps.FirstOrDefault(c => c.Metadata?.NamespaceProperty == ns && c.Metadata?.Name == name);
        if (configMap is null)
        {
            a.Reject(T.NginxCustomHeaders.Name, $"ConfigMap '{ns}/{name}' does not exist; no header is added");
            return [];
        }

        var headers = ImmutableArray.CreateBuilder<HeaderValue>();
        foreach (var (header, value) in (configMap.Data ?? new Dictionary<string, string>()).OrderBy(d => d.Key, StringComparer.Ordinal))
        {
            var problem = !AnnotationTypes.Token().IsMatch(header) ? "is not a header name"
                : Reserved.Contains(header) ? "is a header the edge sets itself"
                : AnnotationTypes.HeaderText.Parse(value.Trim()) is { Ok: false } ? "has a value that is not a valid header value (printable ASCII, no line breaks)"
                : null;
            if (problem is not null)
            {
                a.Reject(T.NginxCustomHeaders.Name, $"ConfigMap '{ns}/{name}': key '{header}' {problem}; no header is added");
                return [];
            }

            headers.Add(new HeaderValue(header, value.Trim()));
        }

        return headers.ToImmutable();
    }
}
