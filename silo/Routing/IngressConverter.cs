using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using k8s.Models;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.Silo.Routing;

/// <summary>
/// Turns Ingress, Service and EndpointSlice objects into routes and backends. Pure: the file
/// source and the Kubernetes source both call it, and golden-file tests pin its output.
/// A bad rule, path or annotation refuses only what it touches, with a reason naming the field.
/// </summary>
internal static partial class IngressConverter
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
        foreach (var ingress in objects.Ingresses
                     .OrderBy(i => i.Metadata?.CreationTimestamp ?? DateTime.MinValue)
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
        context.Rejections.AddRange(annotations.Finish());
        if (matchers is null)
        {
            // A match annotation that does not parse would widen the route; refuse the whole object.
            return;
        }

        var (headers, query) = matchers.Value;
        var spec = ingress.Spec;
        if (spec?.DefaultBackend is { } defaultBackend)
        {
            var clusterId = context.ResolveBackend(source, "spec.defaultBackend", ns, defaultBackend);
            if (clusterId is not null)
            {
                var route = new RouteSpec($"{key}#default", AnyHost, "/", PathMatchKind.Prefix, [], [], clusterId, source)
                {
                    IsDefaultBackend = true,
                };
                context.AddRoute(route, "spec.defaultBackend");
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
                if (!TryReadPath(path, out var routePath, out var kind, out var pathError, out var errorField))
                {
                    context.Reject(source, $"{pathField}.{errorField}", pathError);
                    continue;
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

                var route = new RouteSpec($"{key}#{r}.{p}", host, routePath, kind, headers, query, clusterId, source);
                context.AddRoute(route, pathField);
            }
        }
    }

    private static (ImmutableArray<HeaderMatch>, ImmutableArray<QueryMatch>)? ReadMatchers(AnnotationReader annotations)
    {
        var headers = annotations.ReadPairs(Annotations.MatchHeaders, HeaderNamePattern());
        var query = annotations.ReadPairs(Annotations.MatchQuery, QueryNamePattern());
        if (headers is null || query is null)
        {
            return null;
        }

        return ([.. headers.Select(h => new HeaderMatch(h.Name, h.Value))], [.. query.Select(q => new QueryMatch(q.Name, q.Value))]);
    }

    internal static string ObjectKey(V1ObjectMeta? metadata) =>
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

    private static bool TryReadPath(V1HTTPIngressPath path, out string routePath, out PathMatchKind kind, out string error, out string field)
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
        private readonly SortedDictionary<string, ImmutableArray<DestinationSpec>> _backends = new(StringComparer.Ordinal);
        private readonly Dictionary<string, RouteSpec> _routesByMatch = new(StringComparer.Ordinal);
        private RouteSpec? _defaultBackend;

        public List<Rejection> Rejections { get; } = [];

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
                var matchKey = string.Join('\n', route.Host, route.PathMatch, route.Path,
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
                _backends[clusterId] = Destinations($"{ns}/{serviceName}", servicePort);
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

        public DesiredState ToDesiredState() => new(
            _hosts.ToImmutableSortedDictionary(h => h.Key, h => h.Value.OrderBy(r => r.RouteId, StringComparer.Ordinal).ToImmutableArray(), StringComparer.Ordinal),
            _backends.ToImmutableSortedDictionary(StringComparer.Ordinal),
            [.. Rejections]);
    }
}
