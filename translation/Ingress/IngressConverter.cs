using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using k8s.Models;
using Orleans.Proxy.Routing;

using Orleans.Proxy.Translation.Annotations;

namespace Orleans.Proxy.Translation.Ingress;

/// <summary>
/// Turns Ingress, Service and EndpointSlice objects into routes and backends. Pure: the file
/// source and the Kubernetes source both call it, and golden-file tests pin its output.
/// A bad rule, path or annotation refuses only what it touches, with a reason naming the field.
/// </summary>
public static partial class IngressConverter
{
    /// <summary>Host key for rules without a host and for the default backend.</summary>
    public const string AnyHost = "*";

    private const string ServiceNameLabel = "kubernetes.io/service-name";

    /// <summary>Keeps route ordering arithmetic (path length x 8 within a host rank) in range.</summary>
    private const int MaxPathLength = 8192;

    public static DesiredState Convert(ClusterObjects objects)
    {
        var context = new ConversionContext(objects);
        // Oldest first, as ingress-nginx does: on a conflict the route that was there first keeps serving.
        // Canary Ingresses last: they attach to the main Ingress's routes.
        foreach (var ingress in objects.Ingresses
                     .OrderBy(i => NginxAnnotations.IsCanary(i.Metadata?.Annotations))
                     .ThenBy(i => i.Metadata?.CreationTimestamp ?? DateTime.MinValue)
                     .ThenBy(i => ObjectKey(i.Metadata), StringComparer.Ordinal))
        {
            ConvertIngress(context, ingress);
        }

        return context.ToDesiredState();
    }

    private static void ConvertIngress(ConversionContext context, V1Ingress ingress)
    {
        var key = ObjectKey(ingress.Metadata);
        var source = $"Ingress {key}";
        var ns = ingress.Metadata?.NamespaceProperty ?? "default";

        if (string.IsNullOrEmpty(ingress.Metadata?.Name))
        {
            context.Reject(source, "metadata.name", "an Ingress needs a name");
            return;
        }

        var annotations = new AnnotationReader(source, ingress.Metadata.Annotations);
        var matchers = ReadMatchers(annotations);
        var rateLimits = RateLimitAnnotations.Read(annotations, key);
        var nginx = NginxAnnotations.Read(annotations);
        var healthAffinity = HealthAffinityAnnotations.Read(annotations);
        var cache = CacheAnnotations.Read(annotations);
        context.Rejections.AddRange(annotations.Finish());
        if (matchers is null || nginx is null)
        {
            // A match or access annotation that does not parse would widen the route; refuse the whole object.
            return;
        }

        var (headers, query) = nginx.Canary is null ? matchers.Value : ([], []);
        var spec = ingress.Spec;
        var certificates = nginx.Canary is null ? context.Tls.Read(source, ns, spec, NormalizeHost, context.Rejections) : [];
        if (spec?.DefaultBackend is not null && nginx.Canary is not null)
        {
            context.Reject(source, "spec.defaultBackend", "a canary Ingress cannot set the default backend; ignored");
        }
        else if (spec?.DefaultBackend is { } defaultBackend)
        {
            var clusterId = context.ResolveBackend(source, "spec.defaultBackend", ns, defaultBackend);
            if (clusterId is not null)
            {
                var route = new RouteSpec($"{key}#default", AnyHost, "/", PathMatchKind.Prefix, [], [], clusterId, source)
                {
                    IsDefaultBackend = true,
                    RateLimits = rateLimits,
                    Affinity = healthAffinity.Affinity,
                    Cache = cache,
                };
                context.ApplyBackendSettings(source, clusterId, nginx.Backend);
                context.SetBackendHealth(source, clusterId, healthAffinity);
                context.AddRoute(nginx.ApplyTo(route, hostHasTls: false), "spec.defaultBackend");
            }
        }

        var rules = spec?.Rules ?? [];
        if (spec?.DefaultBackend is null && rules.Count == 0)
        {
            context.Reject(source, "spec", "the Ingress has neither rules nor a defaultBackend");
            return;
        }

        for (var r = 0; r < rules.Count; r++)
        {
            var rule = rules[r];
            var ruleField = $"spec.rules[{r}]";
            var host = NormalizeHost(rule.Host);
            if (host is null)
            {
                context.Reject(source, $"{ruleField}.host", $"'{rule.Host}' is not a valid host name (DNS name, or '*.' followed by one)");
                continue;
            }

            var paths = rule.Http?.Paths ?? [];
            if (paths.Count == 0)
            {
                context.Reject(source, $"{ruleField}.http.paths", "the rule has no paths");
                continue;
            }

            for (var p = 0; p < paths.Count; p++)
            {
                var path = paths[p];
                var pathField = $"{ruleField}.http.paths[{p}]";
                if (!TryReadPath(path, out var routePath, out var kind, out var pathError, out var errorField, nginx.Regex || nginx.RewriteTarget is not null))
                {
                    context.Reject(source, $"{pathField}.{errorField}", pathError);
                    continue;
                }

                string? pathRegex = null;
                if (nginx.Regex || nginx.RewriteTarget is not null)
                {
                    // ingress-nginx reads the path as a regex when either is set.
                    if (NginxAnnotations.ReadRegexPath(path.Path, nginx.RewriteTarget, out var regexError) is not { } regexPath)
                    {
                        context.Reject(source, $"{pathField}.path", regexError);
                        continue;
                    }

                    (pathRegex, routePath, kind) = (regexPath.Regex, regexPath.Prefix, PathMatchKind.Prefix);
                }

                if (path.Backend is null)
                {
                    context.Reject(source, $"{pathField}.backend", "the path has no backend");
                    continue;
                }

                var clusterId = context.ResolveBackend(source, $"{pathField}.backend", ns, path.Backend);
                if (clusterId is null)
                {
                    continue;
                }

                var route = nginx.ApplyTo(new RouteSpec($"{key}#{r}.{p}", host, routePath, kind, headers, query, clusterId, source) { PathRegex = pathRegex, TlsCertificate = certificates.GetValueOrDefault(host), RateLimits = rateLimits, Affinity = healthAffinity.Affinity, Cache = cache }, certificates.ContainsKey(host));
                if (nginx.Canary is { } canary)
                {
                    context.AttachCanary(route, canary, pathField);
                    continue;
                }

                context.ApplyBackendSettings(source, clusterId, nginx.Backend);
                context.AddRoute(route, pathField);
                context.SetBackendHealth(source, clusterId, healthAffinity);
            }
        }
    }

    private static (ImmutableArray<HeaderMatch>, ImmutableArray<QueryMatch>)? ReadMatchers(AnnotationReader annotations)
    {
        var headers = annotations.ReadPairs(AnnotationNames.MatchHeaders, HeaderNamePattern());
        var query = annotations.ReadPairs(AnnotationNames.MatchQuery, QueryNamePattern());
        if (headers is null || query is null)
        {
            return null;
        }

        return ([.. headers.Select(h => new HeaderMatch(h.Name, h.Value))], [.. query.Select(q => new QueryMatch(q.Name, q.Value))]);
    }

    public static string ObjectKey(V1ObjectMeta? metadata) =>
        $"{metadata?.NamespaceProperty ?? "default"}/{metadata?.Name ?? "(unnamed)"}";

    private static string? NormalizeHost(string? host)
    {
        if (string.IsNullOrEmpty(host))
        {
            return AnyHost;
        }

        host = host.ToLowerInvariant();
        var name = host.StartsWith("*.", StringComparison.Ordinal) ? host[2..] : host;
        return name.Length <= 253 && DnsNamePattern().IsMatch(name) ? host : null;
    }

    /// <summary>Reads pathType and path; with <paramref name="regex"/> only pathType (the caller reads the path as a regex).</summary>
    private static bool TryReadPath(V1HTTPIngressPath path, out string routePath, out PathMatchKind kind, out string error, out string field, bool regex)
    {
        routePath = path.Path ?? string.Empty;
        kind = PathMatchKind.Prefix;
        error = string.Empty;
        field = "path";
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
                field = "pathType";
                error = "pathType is required: Exact, Prefix or ImplementationSpecific";
                return false;
            default:
                field = "pathType";
                error = $"pathType '{path.PathType}' is not one of Exact, Prefix, ImplementationSpecific";
                return false;
        }

        if (regex)
        {
            return true;
        }

        if (!routePath.StartsWith('/'))
        {
            error = $"path '{routePath}' must be an absolute path starting with '/'";
            return false;
        }

        if (routePath.Length > MaxPathLength)
        {
            error = $"path is {routePath.Length} characters long; at most {MaxPathLength} are allowed";
            return false;
        }

        if (!PathPattern().IsMatch(routePath))
        {
            error = $"path '{routePath}' may contain only URL path characters (no '{{', '}}', '?', '#', '//', spaces or control characters)";
            return false;
        }

        // Prefix matching is element-wise, so a trailing '/' changes nothing.
        if (kind == PathMatchKind.Prefix && routePath.Length > 1)
        {
            routePath = routePath.TrimEnd('/');
        }

        return true;
    }

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$")]
    private static partial Regex DnsNamePattern();

    [GeneratedRegex(@"^(/[A-Za-z0-9\-._~!$&'()*+,;=:@%]*)+$")]
    private static partial Regex PathPattern();

    [GeneratedRegex(@"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")]
    private static partial Regex HeaderNamePattern();

    [GeneratedRegex(@"^[A-Za-z0-9\-._~]+$")]
    private static partial Regex QueryNamePattern();

    /// <summary>Mutable state of one conversion.</summary>
    private sealed class ConversionContext(ClusterObjects objects)
    {
        private readonly Dictionary<string, V1Service> _services = objects.Services
            .GroupBy(s => ObjectKey(s.Metadata), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);

        private readonly ILookup<string, V1EndpointSlice> _slicesByService = objects.EndpointSlices
            .Where(s => s.Metadata?.Labels?.ContainsKey(ServiceNameLabel) == true)
            .ToLookup(s => $"{s.Metadata.NamespaceProperty ?? "default"}/{s.Metadata.Labels[ServiceNameLabel]}", StringComparer.Ordinal);

        private readonly SortedDictionary<string, List<RouteSpec>> _hosts = new(StringComparer.Ordinal);
        private readonly SortedDictionary<string, BackendSpec> _backends = new(StringComparer.Ordinal);
        private readonly Dictionary<string, (NginxBackendSettings Settings, string Source)> _backendSettings = new(StringComparer.Ordinal);
        private readonly Dictionary<string, RouteSpec> _routesByMatch = new(StringComparer.Ordinal);
        private RouteSpec? _defaultBackend;
        private readonly SortedDictionary<string, (HealthAffinitySettings Settings, string Source)> _backendHealth = new(StringComparer.Ordinal);

        public List<Rejection> Rejections { get; } = [];

        public IngressTls Tls { get; } = new(objects.Secrets);

        public void Reject(string obj, string field, string reason) => Rejections.Add(new Rejection(obj, field, reason));

        public void AddRoute(RouteSpec route, string field)
        {
            if (route.IsDefaultBackend)
            {
                if (_defaultBackend is not null)
                {
                    Reject(route.Source, field, $"the default backend is already set by {_defaultBackend.Source}");
                    return;
                }

                _defaultBackend = route;
            }
            else
            {
                var matchKey = string.Join('\n', route.Host, route.PathMatch, route.PathRegex ?? route.Path,
                    string.Join(';', route.Headers.Select(h => $"{h.Name.ToLowerInvariant()}={h.Value}")),
                    string.Join(';', route.Query.Select(q => $"{q.Name}={q.Value}")));
                if (!_routesByMatch.TryAdd(matchKey, route))
                {
                    var existing = _routesByMatch[matchKey];
                    Reject(route.Source, field, $"host '{route.Host}' path '{route.Path}' ({route.PathMatch}) is already routed by {existing.Source} (route {existing.RouteId})");
                    return;
                }
            }

            if (!_hosts.TryGetValue(route.Host, out var routes))
            {
                _hosts[route.Host] = routes = [];
            }

            routes.Add(route);
        }

        /// <summary>Sets a backend's protocol and timeouts; a second Ingress that wants others is refused them (the route stays).</summary>
        public void ApplyBackendSettings(string source, string clusterId, NginxBackendSettings settings)
        {
            if (_backendSettings.TryGetValue(clusterId, out var existing))
            {
                if (NginxAnnotations.Conflict(existing.Settings, existing.Source, settings) is { } conflict)
                {
                    Reject(source, "metadata.annotations", $"backend {clusterId}: {conflict}");
                }

                return;
            }

            if (!settings.IsNone)
            {
                _backendSettings[clusterId] = (settings, source);
                _backends[clusterId] = settings.ApplyTo(_backends[clusterId]);
            }
        }

        /// <summary>Adds a canary Ingress's backend to the main routes of the same host and path.</summary>
        public void AttachCanary(RouteSpec canaryRoute, NginxCanarySettings canary, string field)
        {
            var mains = _hosts.TryGetValue(canaryRoute.Host, out var routes)
                ? routes.Where(r => r.Path == canaryRoute.Path && r.PathMatch == canaryRoute.PathMatch && r.PathRegex == canaryRoute.PathRegex).ToList()
                : [];
            if (mains.Count == 0)
            {
                Reject(canaryRoute.Source, field, $"a canary needs a main Ingress with host '{canaryRoute.Host}' and path '{canaryRoute.PathRegex ?? canaryRoute.Path}' ({canaryRoute.PathMatch}); none serves it");
                return;
            }

            if (mains.FirstOrDefault(m => m.Canary is not null) is { } taken)
            {
                Reject(canaryRoute.Source, field, $"route {taken.RouteId} already has the canary {taken.Canary!.Source}; only one canary per host and path");
                return;
            }

            foreach (var main in mains)
            {
                // The canary's backend talks the main backend's protocol, with its timeouts.
                var settings = _backendSettings.TryGetValue(main.ClusterId, out var s) ? s.Settings : NginxBackendSettings.None;
                ApplyBackendSettings(canaryRoute.Source, canaryRoute.ClusterId, settings);
                routes![routes.IndexOf(main)] = main with
                {
                    Canary = new CanarySpec(canaryRoute.ClusterId, canaryRoute.Source, canary.Weight, canary.Header, canary.HeaderValue, canary.Cookie),
                };
            }
        }

        /// <summary>Resolves a backend to a cluster id and records its destinations; null (and a rejection) when it cannot.</summary>
        public string? ResolveBackend(string source, string field, string ns, V1IngressBackend backend)
        {
            if (backend.Resource is not null)
            {
                Reject(source, $"{field}.resource", "resource backends are not supported; use a Service backend");
                return null;
            }

            var serviceName = backend.Service?.Name;
            if (string.IsNullOrEmpty(serviceName))
            {
                Reject(source, $"{field}.service.name", "the backend names no Service");
                return null;
            }

            if (!_services.TryGetValue($"{ns}/{serviceName}", out var service))
            {
                Reject(source, $"{field}.service.name", $"Service '{ns}/{serviceName}' does not exist");
                return null;
            }

            if (service.Spec?.Type == "ExternalName")
            {
                Reject(source, $"{field}.service.name", $"Service '{ns}/{serviceName}' is of type ExternalName, which is not supported");
                return null;
            }

            var port = backend.Service!.Port;
            var servicePorts = service.Spec?.Ports ?? [];
            V1ServicePort? servicePort;
            string portText;
            if (port?.Number is int number)
            {
                servicePort = servicePorts.FirstOrDefault(p => p.Port == number);
                portText = number.ToString(CultureInfo.InvariantCulture);
                if (servicePort is null)
                {
                    Reject(source, $"{field}.service.port.number", $"Service '{ns}/{serviceName}' has no port {number}");
                    return null;
                }
            }
            else if (!string.IsNullOrEmpty(port?.Name))
            {
                servicePort = servicePorts.FirstOrDefault(p => p.Name == port.Name);
                portText = port.Name;
                if (servicePort is null)
                {
                    Reject(source, $"{field}.service.port.name", $"Service '{ns}/{serviceName}' has no port named '{port.Name}'");
                    return null;
                }
            }
            else
            {
                Reject(source, $"{field}.service.port", "the backend names no port: set port.number or port.name");
                return null;
            }

            var clusterId = $"{ns}/{serviceName}:{portText}";
            if (!_backends.ContainsKey(clusterId))
            {
                _backends[clusterId] = new BackendSpec(clusterId, 0, Destinations($"{ns}/{serviceName}", servicePort));
            }

            return clusterId;
        }

        /// <summary>Ready, non-terminating endpoints of the slices whose port name matches the Service port's.</summary>
        private ImmutableArray<DestinationSpec> Destinations(string serviceKey, V1ServicePort servicePort)
        {
            var portName = servicePort.Name ?? string.Empty;
            var destinations = new SortedDictionary<string, DestinationSpec>(StringComparer.Ordinal);
            foreach (var slice in _slicesByService[serviceKey])
            {
                var slicePort = slice.Ports?.FirstOrDefault(p => (p.Name ?? string.Empty) == portName);
                if (slicePort?.Port is not int targetPort)
                {
                    continue;
                }

                foreach (var endpoint in slice.Endpoints ?? [])
                {
                    // Per the EndpointSlice API, a missing "ready" condition means ready.
                    if (endpoint.Conditions?.Ready == false || endpoint.Conditions?.Terminating == true)
                    {
                        continue;
                    }

                    foreach (var address in endpoint.Addresses ?? [])
                    {
                        if (!IPAddress.TryParse(address, out var ip))
                        {
                            continue;
                        }

                        var endpointText = new IPEndPoint(ip, targetPort).ToString();
                        destinations[endpointText] = new DestinationSpec(endpointText, $"http://{endpointText}");
                    }
                }
            }

            return [.. destinations.Values];
        }

        /// <summary>Health settings are the backend's: the first Ingress (oldest) that sets them for it wins.</summary>
        public void SetBackendHealth(string source, string clusterId, HealthAffinitySettings settings)
        {
            if (!settings.HasHealth)
            {
                return;
            }

            if (!_backendHealth.TryGetValue(clusterId, out var existing))
            {
                _backendHealth[clusterId] = (settings, source);
            }
            else if (existing.Source != source && (existing.Settings.HealthCheck != settings.HealthCheck || existing.Settings.PassiveHealth != settings.PassiveHealth))
            {
                Reject(source, "metadata.annotations", $"backend {clusterId} already has other health-check settings from {existing.Source}; these are ignored (set them on one Ingress)");
            }
        }

        private BackendSpec WithHealth(BackendSpec backend) => _backendHealth.TryGetValue(backend.ClusterId, out var health)
            ? backend with { HealthCheck = health.Settings.HealthCheck, PassiveHealth = health.Settings.PassiveHealth }
            : backend;

        public DesiredState ToDesiredState() => new(
            _hosts.ToImmutableSortedDictionary(h => h.Key, h => h.Value.OrderBy(r => r.RouteId, StringComparer.Ordinal).ToImmutableArray(), StringComparer.Ordinal),
            _backends.ToImmutableSortedDictionary(b => b.Key, b => WithHealth(b.Value), StringComparer.Ordinal),
            [.. Rejections])
        {
            Certificates = Tls.Certificates,
        };
    }
}
