using System.Collections.Immutable;
using k8s.Models;
using Orleans.Proxy.Routing;
using Orleans.Proxy.Translation.Ingress;
using static Orleans.Proxy.Translation.GatewayApi.GatewayConditions;

namespace Orleans.Proxy.Translation.GatewayApi;

/// <summary>A listener of one of our Gateways that routes can attach to.</summary>
/// <param name="Hostname">The normalized hostname; null: any.</param>
/// <param name="Certificate">HTTPS: the certificate reference ("ns/secret#fingerprint") its hosts are served with.</param>
internal sealed record GatewayListener(string GatewayKey, string Namespace, string Name, int Port, bool Https, string? Hostname, string? Certificate, RouteNamespaces? Namespaces)
{
    /// <summary>Routes this listener accepted (attachedRoutes).</summary>
    public int AttachedRoutes { get; set; }
}

/// <summary>
/// The Gateways of our GatewayClasses and their listeners: each listener is validated (protocol,
/// hostname, TLS certificate references, route kinds, conflicts with the others on its port) and
/// those that are valid take routes. The edge serves every HTTP listener on its HTTP port and
/// every HTTPS listener on its HTTPS port; a listener's port is matched against parentRef.port only.
/// </summary>
internal sealed class GatewayListeners
{
    public const string HttpRouteKind = "HTTPRoute";
    private const string HttpProtocol = "HTTP";
    private const string HttpsProtocol = "HTTPS";

    private readonly Dictionary<string, List<GatewayListener>> _byGateway = new(StringComparer.Ordinal);
    private readonly List<(Gateway Gateway, List<(Listener Spec, List<V1Condition> Conditions, List<RouteGroupKind> Kinds, GatewayListener? Valid)> Listeners)> _gateways = [];
    private readonly List<Gateway> _withParameters = [];

    public GatewayListeners(IEnumerable<Gateway> gateways, ISet<string> ourClasses, ReferenceGrants grants, IngressTls tls)
    {
        foreach (var gateway in gateways.Where(g => g.Spec.GatewayClassName is { } c && ourClasses.Contains(c)))
        {
            if (gateway.Spec.Infrastructure?.ParametersRef is not null)
            {
                // Nothing of ours reads parameters: a Gateway that needs them is not served rather than served without them.
                _withParameters.Add(gateway);
                continue;
            }

            var key = IngressConverter.ObjectKey(gateway.Metadata);
            var ns = gateway.Metadata.NamespaceProperty ?? "default";
            var generation = gateway.Metadata.Generation;
            var specs = gateway.Spec.Listeners ?? [];
            var listeners = new List<(Listener, List<V1Condition>, List<RouteGroupKind>, GatewayListener?)>();
            foreach (var listener in specs)
            {
                var (conditions, kinds, valid) = Validate(gateway, key, ns, generation, listener, specs, grants, tls);
                listeners.Add((listener, conditions, kinds, valid));
                if (valid is not null)
                {
                    (_byGateway.TryGetValue(key, out var list) ? list : _byGateway[key] = []).Add(valid);
                }
            }

            _gateways.Add((gateway, listeners));
        }
    }

    /// <summary>Our Gateway "namespace/name" exists (whatever its listeners).</summary>
    public bool IsOurs(string gatewayKey) => _gateways.Any(g => IngressConverter.ObjectKey(g.Gateway.Metadata) == gatewayKey);

    public IReadOnlyList<GatewayListener> Of(string gatewayKey) => _byGateway.TryGetValue(gatewayKey, out var list) ? list : [];

    /// <summary>Status of every Gateway, once routes have attached.</summary>
    public IEnumerable<ObjectStatus<GatewayStatus>> Status() => _gateways.Select(g =>
    {
        var generation = g.Gateway.Metadata.Generation;
        var invalid = g.Listeners.Count(l => l.Valid is null);
        var listeners = g.Listeners.Select(l => new ListenerStatus
        {
            Name = l.Spec.Name ?? string.Empty,
            SupportedKinds = l.Kinds,
            AttachedRoutes = l.Valid?.AttachedRoutes ?? 0,
            Conditions = l.Conditions,
        }).ToList();
        var accepted = invalid == 0
            ? Condition(Accepted, true, ReasonAccepted, "the Gateway is served by every edge", generation)
            : Condition(Accepted, invalid < g.Listeners.Count, ReasonListenersNotValid, $"{invalid} of {g.Listeners.Count} listeners are not valid; the others are served", generation);
        var programmed = g.Listeners.Count > invalid
            ? Condition(Programmed, true, ReasonProgrammed, "the edges serve its valid listeners", generation)
            : Condition(Programmed, false, ReasonInvalid, "no listener is valid", generation);
        return new ObjectStatus<GatewayStatus>(GatewayApiKind.Gateway, g.Gateway.Metadata, new GatewayStatus { Conditions = [accepted, programmed], Listeners = listeners });
    }).Concat(_withParameters.Select(g => new ObjectStatus<GatewayStatus>(GatewayApiKind.Gateway, g.Metadata, new GatewayStatus
    {
        Conditions =
        [
            Condition(Accepted, false, ReasonInvalidParameters, "spec.infrastructure.parametersRef is not supported: this controller takes no parameters", g.Metadata.Generation),
            Condition(Programmed, false, ReasonInvalid, "the Gateway is not served", g.Metadata.Generation),
        ],
        Listeners = [],
    })));

    private static (List<V1Condition>, List<RouteGroupKind>, GatewayListener?) Validate(
        Gateway gateway, string key, string ns, long? generation, Listener listener, IList<Listener> all, ReferenceGrants grants, IngressTls tls)
    {
        var name = listener.Name ?? string.Empty;
        var conditions = new List<V1Condition>();
        var protocol = listener.Protocol ?? string.Empty;
        var https = protocol == HttpsProtocol;
        if (protocol is not (HttpProtocol or HttpsProtocol))
        {
            return Invalid(ReasonUnsupportedProtocol, $"protocol '{protocol}' is not supported: use HTTP or HTTPS", [], accepted: false);
        }

        var hostname = listener.Hostname is null ? null : Hostnames.Normalize(listener.Hostname);
        if (listener.Hostname is not null && hostname is null)
        {
            return Invalid(ReasonUnsupportedValue, $"hostname '{listener.Hostname}' is not a DNS name or a '*.' wildcard of one", [], accepted: false);
        }

        // Kinds: HTTPRoute of our group, the only kind this controller serves.
        var kinds = new List<RouteGroupKind>();
        var badKinds = new List<string>();
        foreach (var kind in listener.AllowedRoutes?.Kinds ?? [new RouteGroupKind { Group = GatewayApiGroup.Group, Kind = HttpRouteKind }])
        {
            if ((kind.Group ?? GatewayApiGroup.Group) == GatewayApiGroup.Group && kind.Kind == HttpRouteKind)
            {
                kinds.Add(new RouteGroupKind { Group = GatewayApiGroup.Group, Kind = HttpRouteKind });
            }
            else
            {
                badKinds.Add($"{kind.Group}/{kind.Kind}");
            }
        }

        var conflict = all.Where(other => !ReferenceEquals(other, listener) && other.Port == listener.Port).ToList();
        if (conflict.Any(o => (o.Protocol ?? string.Empty) != protocol))
        {
            return Invalid(ReasonProtocolConflict, $"another listener on port {listener.Port} uses another protocol", kinds, accepted: false, conflicted: true);
        }

        if (conflict.Any(o => Hostnames.Normalize(o.Hostname) == hostname))
        {
            return Invalid(ReasonHostnameConflict, $"another listener on port {listener.Port} has the same hostname", kinds, accepted: false, conflicted: true);
        }

        string? certificate = null;
        var refsProblem = badKinds.Count > 0 ? (ReasonInvalidRouteKinds, $"route kinds {string.Join(", ", badKinds)} are not supported; only HTTPRoute") : default((string, string)?);
        if (https)
        {
            var mode = listener.Tls?.Mode ?? "Terminate";
            if (mode != "Terminate")
            {
                return Invalid(ReasonUnsupportedValue, $"tls.mode '{mode}' is not supported: the edges terminate TLS", kinds, accepted: false);
            }

            var reference = listener.Tls?.CertificateRefs?.FirstOrDefault();
            var secretNs = reference?.Namespace ?? ns;
            if (reference is null)
            {
                refsProblem ??= (ReasonInvalidCertificateRef, "an HTTPS listener needs tls.certificateRefs");
            }
            else if ((reference.Group ?? string.Empty) != string.Empty || (reference.Kind ?? "Secret") != "Secret")
            {
                refsProblem ??= (ReasonInvalidCertificateRef, $"certificateRefs[0] names a {reference.Group}/{reference.Kind}; only core Secrets hold certificates");
            }
            else if (!grants.Allows(GatewayApiGroup.Group, "Gateway", ns, string.Empty, "Secret", secretNs, reference.Name ?? string.Empty))
            {
                refsProblem ??= (ReasonRefNotPermitted, $"no ReferenceGrant in namespace '{secretNs}' lets Gateways of '{ns}' use Secret '{reference.Name}'");
            }
            else
            {
                (certificate, var error) = tls.Reference($"{secretNs}/{reference.Name}");
                if (certificate is null)
                {
                    refsProblem ??= (ReasonInvalidCertificateRef, error!);
                }
            }
        }

        // Route kinds it cannot serve leave the listener serving the kinds it can; a bad certificate leaves it unserved.
        if (refsProblem is { } problem && !(problem.Item1 == ReasonInvalidRouteKinds && kinds.Count > 0))
        {
            return Invalid(problem.Item1, problem.Item2, kinds, accepted: true);
        }

        conditions.Add(Condition(Accepted, true, ReasonAccepted, "the listener is served", generation));
        conditions.Add(Condition(Programmed, true, ReasonProgrammed, https ? "served on the edges' HTTPS port" : "served on the edges' HTTP port", generation));
        conditions.Add(refsProblem is { } partial
            ? Condition(ResolvedRefs, false, partial.Item1, partial.Item2, generation)
            : Condition(ResolvedRefs, true, ReasonResolvedRefs, "every reference resolved", generation));
        conditions.Add(Condition(Conflicted, false, ReasonNoConflicts, "no conflict with another listener", generation));
        return (conditions, kinds, new GatewayListener(key, ns, name, listener.Port ?? 0, https, hostname, certificate, listener.AllowedRoutes?.Namespaces));

        (List<V1Condition>, List<RouteGroupKind>, GatewayListener?) Invalid(string reason, string message, List<RouteGroupKind> supported, bool accepted, bool conflicted = false)
        {
            var refs = reason is ReasonInvalidCertificateRef or ReasonInvalidRouteKinds or ReasonRefNotPermitted;
            conditions.Add(Condition(Accepted, accepted, accepted ? ReasonAccepted : reason, message, generation));
            conditions.Add(Condition(Programmed, false, ReasonInvalid, message, generation));
            conditions.Add(Condition(ResolvedRefs, !refs, refs ? reason : ReasonResolvedRefs, refs ? message : "every reference resolved", generation));
            conditions.Add(Condition(Conflicted, conflicted, conflicted ? reason : ReasonNoConflicts, conflicted ? message : "no conflict with another listener", generation));
            return (conditions, supported, null);
        }
    }
}
