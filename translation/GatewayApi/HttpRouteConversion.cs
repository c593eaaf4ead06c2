using System.Collections.Immutable;
using k8s.Models;
using Orleans.Proxy.Routing;
using Orleans.Proxy.Translation.Annotations;
using Orleans.Proxy.Translation.Ingress;
using Orleans.Proxy.Translation.Ingress.Backends;
using Orleans.Proxy.Translation.Ingress.Conflicts;
using static Orleans.Proxy.Translation.GatewayApi.GatewayConditions;

namespace Orleans.Proxy.Translation.GatewayApi;

/// <summary>
/// Gateway API objects to routes: our GatewayClasses (by controllerName), their Gateways' listeners,
/// and the HTTPRoutes attached to them, into the same route model, backends and certificates as
/// Ingresses; and the status each object should show. Every match of every rule becomes one route per
/// hostname it serves; the edge orders them by the spec's precedence, with <see cref="HttpRouteRule.Order"/>
/// (route age, then namespace/name, then rule and match index) as the last tiebreak.
/// </summary>
internal sealed class HttpRouteConversion(
    ClusterObjects objects,
    ConversionSettings settings,
    BackendResolver resolver,
    BackendTable backends,
    IngressTls tls,
    List<Rejection> rejections)
{
    private const string ServiceKind = "Service";

    /// <summary>The spec's largest backendRef weight.</summary>
    private const int MaxWeight = 1_000_000;
    private readonly ReferenceGrants _grants = new(objects.GatewayApi.ReferenceGrants);
    private readonly Dictionary<string, IDictionary<string, string>?> _namespaceLabels = objects.Namespaces
        .GroupBy(n => n.Metadata?.Name ?? string.Empty, StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.First().Metadata?.Labels, StringComparer.Ordinal);

    /// <summary>The routes by host key, to be merged with the Ingresses'.</summary>
    public Dictionary<string, List<RouteSpec>> Hosts { get; } = new(StringComparer.Ordinal);

    public GatewayApiStatus Convert()
    {
        var input = objects.GatewayApi;
        var classes = input.Classes.Where(c => c.Spec.ControllerName == settings.GatewayControllerName).ToList();
        var accepted = classes.Where(c => c.Spec.ParametersRef is null).Select(c => c.Metadata.Name).ToHashSet(StringComparer.Ordinal);
        var classStatus = classes.Select(c => new ObjectStatus<GatewayClassStatus>(GatewayApiKind.GatewayClass, c.Metadata, new GatewayClassStatus
        {
            Conditions = [c.Spec.ParametersRef is null
                ? Condition(GatewayConditions.Accepted, true, ReasonAccepted, "Gateways of this class are served by this controller", c.Metadata.Generation)
                : Condition(GatewayConditions.Accepted, false, ReasonInvalidParameters, "parametersRef is not supported: this controller takes no parameters", c.Metadata.Generation)],
        })).ToImmutableArray();

        var listeners = new GatewayListeners(input.Gateways, accepted, _grants, tls);
        var routes = input.HttpRoutes
            .OrderBy(r => r.Metadata.CreationTimestamp ?? DateTime.MinValue)
            .ThenBy(r => IngressConverter.ObjectKey(r.Metadata), StringComparer.Ordinal);
        var order = 0;
        var routeStatus = ImmutableArray.CreateBuilder<ObjectStatus<RouteStatus>>();
        foreach (var route in routes)
        {
            if (Add(route, listeners, ref order) is { } status)
            {
                routeStatus.Add(status);
            }
        }

        return new GatewayApiStatus(classStatus, [.. listeners.Status()], routeStatus.ToImmutable());
    }

    /// <summary>Adds the route's rules for every listener that accepts it; its status, or null when it names none of our Gateways.</summary>
    private ObjectStatus<RouteStatus>? Add(HttpRoute route, GatewayListeners listeners, ref int order)
    {
        var key = IngressConverter.ObjectKey(route.Metadata);
        var source = $"HTTPRoute {key}";
        var ns = route.Metadata.NamespaceProperty ?? "default";
        var generation = route.Metadata.Generation;

        if (ObjectNames.Check(route.Metadata) is { } badName)
        {
            rejections.Add(new Rejection(source, badName.Field, $"{badName.Reason}; the route is not served"));
            return null;
        }

        var hostnames = new List<string>();
        var hostnamesOk = true;
        for (var h = 0; h < (route.Spec.Hostnames?.Count ?? 0); h++)
        {
            if (Hostnames.Normalize(route.Spec.Hostnames![h]) is { } hostname)
            {
                hostnames.Add(hostname);
            }
            else
            {
                hostnamesOk = false;
                rejections.Add(new Rejection(source, $"spec.hostnames[{h}]", $"'{route.Spec.Hostnames[h]}' is not a DNS name or a '*.' wildcard of one"));
            }
        }

        // Where the route serves: host key -> the listeners' protocols and the HTTPS certificate.
        var served = new SortedDictionary<string, (bool Http, bool Https, string? Certificate)>(StringComparer.Ordinal);
        var parents = new List<(ParentReference Ref, V1Condition Accepted)>();
        var parentRefs = route.Spec.ParentRefs ?? [];
        for (var p = 0; p < parentRefs.Count; p++)
        {
            var parent = parentRefs[p];
            if ((parent.Group ?? GatewayApiGroup.Group) != GatewayApiGroup.Group || (parent.Kind ?? "Gateway") != "Gateway")
            {
                continue;
            }

            var gatewayKey = $"{parent.Namespace ?? ns}/{parent.Name}";
            if (!listeners.IsOurs(gatewayKey))
            {
                continue;
            }

            parents.Add((parent, Attach(parent, gatewayKey, ns, hostnamesOk ? hostnames : null, listeners, served, generation)));
        }

        if (parents.Count == 0)
        {
            return null;
        }

        var annotations = ReadAnnotations(source, key, route.Metadata.Annotations);
        var unresolved = default((string Reason, string Message)?);
        var rules = route.Spec.Rules ?? [];
        var servedRules = 0;
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
            var field = $"spec.rules[{i}]";
            var matches = HttpRouteRules.ReadMatches(rule, field, out var error);
            var filters = matches is null ? null : HttpRouteFilters.Read(rule.Filters, field, matches, out error);
            if (matches is null || filters is null)
            {
                rejections.Add(new Rejection(source, error.Field, $"{error.Reason}; the rule is not served"));
                continue;
            }

            servedRules++;
            if (rule.Timeouts is not null)
            {
                rejections.Add(new Rejection(source, $"{field}.timeouts", "not supported yet: the backend's own timeouts (the edge's defaults) apply"));
            }

            var split = ResolveBackends(source, field, ns, rule.BackendRefs ?? [], ref unresolved);
            if (filters.Unsupported is { } unsupported)
            {
                rejections.Add(new Rejection(source, field, $"{unsupported}; the rule's requests are answered 500"));
                split = [new WeightedBackend(string.Empty, 1)];
            }

            var mirrors = filters.Mirrors
                .Select(m => (Cluster: Resolve(source, m.Field, ns, m.Backend, ref unresolved), m.Percent))
                .Where(m => m.Cluster is not null)
                .Select(m => new MirrorSpec(m.Cluster!, m.Percent))
                .ToImmutableArray();
            var valid = split.Where(b => b.ClusterId.Length > 0 && b.Weight > 0).ToList();
            var clusterId = valid.FirstOrDefault()?.ClusterId ?? string.Empty;
            // One valid backend alone needs no split; otherwise the edge splits, and answers the invalid share 500.
            var backendsSplit = split.Length == 1 && split[0].ClusterId.Length > 0 ? [] : split;
            foreach (var cluster in valid.Select(b => b.ClusterId).Concat(mirrors.Select(m => m.ClusterId)).Distinct(StringComparer.Ordinal))
            {
                backends.SetHealth(source, cluster, annotations.Health);
            }

            foreach (var match in matches)
            {
                var rank = order++;
                foreach (var (host, listenersOf) in served)
                {
                    var spec = new RouteSpec($"{key}#{i}.{match.Index}@{host}", host, match.Path, match.Kind, match.Headers, match.Query, clusterId, source)
                    {
                        PathRegex = match.PathRegex,
                        TlsCertificate = listenersOf.Certificate,
                        RateLimits = annotations.RateLimits,
                        Affinity = annotations.Health.Affinity,
                        Cache = annotations.Cache,
                        HttpRoute = new HttpRouteRule
                        {
                            Method = match.Method,
                            Order = rank,
                            RequestHeaders = filters.RequestHeaders,
                            ResponseHeaders = filters.ResponseHeaders,
                            Redirect = filters.Redirect,
                            Rewrite = filters.Rewrite,
                            Mirrors = mirrors,
                            Backends = filters.Redirect is null ? backendsSplit : [],
                            Listeners = listenersOf.Http && listenersOf.Https ? RouteListeners.Both : listenersOf.Https ? RouteListeners.HttpsOnly : RouteListeners.HttpOnly,
                        },
                    };
                    (Hosts.TryGetValue(host, out var list) ? list : Hosts[host] = []).Add(spec);
                }
            }
        }

        var resolvedRefs = unresolved is { } problem
            ? Condition(GatewayConditions.ResolvedRefs, false, problem.Reason, problem.Message, generation)
            : Condition(GatewayConditions.ResolvedRefs, true, ReasonResolvedRefs, "every backend reference resolved", generation);
        var noRule = rules.Count > 0 && servedRules == 0;
        var dropped = rules.Count - servedRules;
        return new ObjectStatus<RouteStatus>(GatewayApiKind.HTTPRoute, route.Metadata, new RouteStatus
        {
            Parents = [.. parents.Select(p => new RouteParentStatus
            {
                // As the API server defaults them: status readers compare group and kind.
                ParentRef = p.Ref with { Group = p.Ref.Group ?? GatewayApiGroup.Group, Kind = p.Ref.Kind ?? "Gateway" },
                ControllerName = settings.GatewayControllerName,
                Conditions = [
                    noRule && p.Accepted.Status == "True"
                        ? Condition(GatewayConditions.Accepted, false, ReasonUnsupportedValue, "no rule of the route can be served (see the rejections)", generation)
                        : p.Accepted,
                    resolvedRefs,
                    .. dropped > 0 && !noRule
                        ? [Condition(PartiallyInvalid, true, ReasonUnsupportedValue, $"Dropped Rule(s): {dropped} of {rules.Count} rules cannot be served (see the rejections)", generation)]
                        : Array.Empty<V1Condition>(),
                ],
            })],
        });
    }

    /// <summary>Attaches the route to the listeners of one parentRef that accept it; the Accepted condition for that parent.</summary>
    private V1Condition Attach(
        ParentReference parent, string gatewayKey, string routeNamespace, IReadOnlyList<string>? hostnames, GatewayListeners listeners,
        SortedDictionary<string, (bool Http, bool Https, string? Certificate)> served, long? generation)
    {
        var candidates = listeners.Of(gatewayKey)
            .Where(l => (parent.SectionName is null || l.Name == parent.SectionName) && (parent.Port is null || l.Port == parent.Port))
            .ToList();
        if (candidates.Count == 0)
        {
            return Condition(GatewayConditions.Accepted, false, ReasonNoMatchingParent,
                $"Gateway {gatewayKey} has no valid listener{(parent.SectionName is null ? "" : $" named '{parent.SectionName}'")}{(parent.Port is null ? "" : $" on port {parent.Port}")}", generation);
        }

        var allowed = candidates.Where(l => Allows(l, routeNamespace)).ToList();
        if (allowed.Count == 0)
        {
            return Condition(GatewayConditions.Accepted, false, ReasonNotAllowedByListeners, $"no listener of Gateway {gatewayKey} allows HTTPRoutes from namespace '{routeNamespace}'", generation);
        }

        if (hostnames is null)
        {
            return Condition(GatewayConditions.Accepted, false, ReasonUnsupportedValue, "spec.hostnames has a name that is not valid", generation);
        }

        var attached = 0;
        foreach (var listener in allowed)
        {
            var hosts = Hostnames.Intersect(listener.Hostname, hostnames);
            if (hosts.Count == 0)
            {
                continue;
            }

            attached++;
            listener.AttachedRoutes++;
            foreach (var host in hosts)
            {
                var (http, https, certificate) = served.GetValueOrDefault(host);
                if (listener.Https && certificate is null && host != IngressConverter.AnyHost && listener.Certificate is { } reference
                    && tls.Claim($"Gateway {gatewayKey}", host, reference) is null)
                {
                    certificate = reference;
                }

                served[host] = (http || !listener.Https, https || listener.Https, certificate);
            }
        }

        return attached == 0
            ? Condition(GatewayConditions.Accepted, false, ReasonNoMatchingListenerHostname, $"no hostname of the route is served by a listener of Gateway {gatewayKey}", generation)
            : Condition(GatewayConditions.Accepted, true, ReasonAccepted, $"attached to {attached} listener(s) of Gateway {gatewayKey}", generation);
    }

    private bool Allows(GatewayListener listener, string routeNamespace) => (listener.Namespaces?.From ?? "Same") switch
    {
        "All" => true,
        "Same" => routeNamespace == listener.Namespace,
        "Selector" => listener.Namespaces?.Selector is { } selector
            && _namespaceLabels.TryGetValue(routeNamespace, out var labels) && LabelSelectors.Matches(selector, labels),
        _ => false,
    };

    /// <summary>A rule's backendRefs with weights; an invalid reference keeps its weight with an empty cluster id (its share is answered 500).</summary>
    private ImmutableArray<WeightedBackend> ResolveBackends(string source, string field, string ns, IList<HttpBackendRef> refs, ref (string, string)? unresolved)
    {
        var split = ImmutableArray.CreateBuilder<WeightedBackend>();
        for (var b = 0; b < refs.Count; b++)
        {
            var reference = refs[b];
            var at = $"{field}.backendRefs[{b}]";
            var cluster = Resolve(source, at, ns, reference, ref unresolved);
            if (cluster is not null && reference.Filters is { Count: > 0 })
            {
                rejections.Add(new Rejection(source, $"{at}.filters", "filters on a backendRef are not supported; the requests this backend would take are answered 500"));
                cluster = null;
            }

            if (reference.Weight is < 0 or > MaxWeight)
            {
                rejections.Add(new Rejection(source, $"{at}.weight", $"weight {reference.Weight} is not between 0 and {MaxWeight}; the requests this backend would take are answered 500"));
                cluster = null;
            }

            split.Add(new WeightedBackend(cluster ?? string.Empty, Math.Clamp(reference.Weight ?? 1, 0, MaxWeight)));
        }

        return split.ToImmutable();
    }

    /// <summary>The cluster id of a Service reference, or null (with a rejection and the first ResolvedRefs problem) when it cannot be used.</summary>
    private string? Resolve(string source, string field, string ns, BackendObjectReference reference, ref (string, string)? unresolved)
    {
        var targetNs = reference.Namespace ?? ns;
        if ((reference.Group ?? string.Empty) != string.Empty || (reference.Kind ?? ServiceKind) != ServiceKind)
        {
            return Fail(ref unresolved, ReasonInvalidKind, $"kind {reference.Group}/{reference.Kind} is not supported; only Services");
        }

        if (!_grants.Allows(GatewayApiGroup.Group, HttpRoute.KindName, ns, string.Empty, ServiceKind, targetNs, reference.Name ?? string.Empty))
        {
            return Fail(ref unresolved, ReasonRefNotPermitted, $"no ReferenceGrant in namespace '{targetNs}' lets HTTPRoutes of '{ns}' use Service '{reference.Name}'");
        }

        if (reference.Port is null)
        {
            return Fail(ref unresolved, ReasonBackendNotFound, "a Service backend needs a port");
        }

        var resolved = resolver.Resolve(source, $"{field}.name", $"{field}.port", targetNs, reference.Name, new V1ServiceBackendPort { Number = reference.Port }, rejections);
        if (resolved is null)
        {
            unresolved ??= (ReasonBackendNotFound, $"{field}: Service '{targetNs}/{reference.Name}' port {reference.Port} does not exist");
            return null;
        }

        return backends.Add(resolved);

        string? Fail(ref (string, string)? first, string reason, string message)
        {
            rejections.Add(new Rejection(source, field, message));
            first ??= (reason, $"{field}: {message}");
            return null;
        }
    }

    /// <summary>
    /// Our annotations (rate limit, health, affinity, cache) apply to every route of the HTTPRoute, as on an
    /// Ingress; ingress-nginx's and the match annotations do not (the route's own matches and filters say that).
    /// </summary>
    private (ImmutableArray<RateLimiting.RateLimitSpec> RateLimits, HealthAffinitySettings Health, Caching.CacheSpec? Cache) ReadAnnotations(
        string source, string key, IDictionary<string, string>? all)
    {
        var ours = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in all ?? new Dictionary<string, string>())
        {
            if (name.StartsWith(AnnotationDefinition.NginxPrefix, StringComparison.Ordinal))
            {
                rejections.Add(new Rejection(source, $"metadata.annotations[{name}]", "ingress-nginx annotations apply to Ingresses only; on an HTTPRoute use its matches and filters, or orleans-proxy.io annotations"));
            }
            else if (name == AnnotationTable.MatchHeaders.Name || name == AnnotationTable.MatchQuery.Name)
            {
                rejections.Add(new Rejection(source, $"metadata.annotations[{name}]", "not read on an HTTPRoute: use the rule's headers and queryParams matches"));
            }
            else
            {
                ours[name] = value;
            }
        }

        var reader = new AnnotationReader(source, ours);
        var rateLimits = RateLimitAnnotations.Read(reader, key);
        var health = HealthAffinityAnnotations.Read(reader);
        var cache = CacheAnnotations.Read(reader);
        rejections.AddRange(reader.Finish());
        return (rateLimits, health, cache);
    }
}
