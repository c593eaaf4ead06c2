using System.Collections.Immutable;
using k8s.Models;
using Orleans.Proxy.Routing;
using Orleans.Proxy.Translation.Annotations;
using Orleans.Proxy.Translation.GatewayApi;
using Orleans.Proxy.Translation.Ingress.Authentication;
using Orleans.Proxy.Translation.Ingress.Aliases;
using Orleans.Proxy.Translation.Ingress.Backends;
using Orleans.Proxy.Translation.Ingress.Canary;
using Orleans.Proxy.Translation.Ingress.Conflicts;
using Orleans.Proxy.Translation.Ingress.Incremental;
using Orleans.Proxy.Translation.Ingress.Rules;
using Orleans.Proxy.Translation.Settings;

namespace Orleans.Proxy.Translation.Ingress;

/// <summary>
/// Turns Ingress, Service and EndpointSlice objects into routes and backends. Pure: the file
/// source and the Kubernetes source both call it, and golden-file tests pin its output.
/// A bad rule, path or annotation refuses only what it touches, with a reason naming the field.
/// </summary>
/// <remarks>
/// It composes one class per concern: <see cref="IngressRules"/> (hosts and paths),
/// <see cref="BackendResolver"/> (Service and EndpointSlice to destinations), <see cref="RouteTable"/>
/// and <see cref="BackendTable"/> (conflicts between Ingresses, in <see cref="IngressOrder"/>),
/// <see cref="CanaryAttacher"/> (canary Ingresses onto their main routes), and the annotation readers.
/// </remarks>
public static class IngressConverter
{
    /// <summary>Host key for rules without a host and for the default backend.</summary>
    public const string AnyHost = "*";

    public static DesiredState Convert(ClusterObjects objects, ConversionSettings? settings = null)
    {
        var rejections = new List<Rejection>();
        var applied = ControllerConfig.Apply(settings ?? ConversionSettings.Default, objects.ConfigMaps, rejections);
        var conversion = new Conversion(objects, applied, new ClusterIndex(objects), objects.Ingresses, rejections);
        conversion.AddAll(objects.Ingresses, outcomes: null);
        return conversion.ToDesiredState();
    }

    /// <summary>
    /// Converts <paramref name="ingresses"/> (in input order), a group that shares no host, backend or name with the
    /// other Ingresses of <paramref name="objects"/>, as <see cref="Convert"/> would within all of them: for
    /// <see cref="Incremental.IncrementalConverter"/>, which merges the groups' parts.
    /// </summary>
    /// <param name="settings">The settings with the controller ConfigMap applied (<see cref="ControllerConfig.Apply"/>).</param>
    internal static ConvertedPart ConvertPart(IReadOnlyList<V1Ingress> ingresses, ClusterObjects objects, ConversionSettings settings, ClusterIndex index)
    {
        var conversion = new Conversion(objects, settings, index, ingresses, []);
        var outcomes = new List<IngressOutcome>();
        conversion.AddAll(ingresses, outcomes);
        return conversion.ToPart(outcomes);
    }

    internal static bool IsCanary(V1Ingress ingress) => NginxAnnotations.IsCanary(ingress.Metadata?.Annotations);

    public static string ObjectKey(V1ObjectMeta? metadata) =>
        $"{metadata?.NamespaceProperty ?? "default"}/{metadata?.Name ?? "(unnamed)"}";

    /// <summary>The header and query matches of every route of the Ingress; null when one does not parse.</summary>
    private static (ImmutableArray<HeaderMatch>, ImmutableArray<QueryMatch>)? ReadMatchers(AnnotationReader annotations)
    {
        var headers = annotations.Read(AnnotationTable.MatchHeaders);
        var query = annotations.Read(AnnotationTable.MatchQuery);
        if (headers.IsInvalid || query.IsInvalid)
        {
            return null;
        }

        return ([.. headers.Value.Select(h => new HeaderMatch(h.Name, h.Value))], [.. query.Value.Select(q => new QueryMatch(q.Name, q.Value))]);
    }

    /// <summary>One conversion: the Ingresses added so far and what they were refused.</summary>
    private sealed class Conversion
    {
        private readonly List<Rejection> _rejections;
        private readonly List<string> _refused = [];
        private readonly IngressTls _tls;
        private readonly BasicAuthSecrets _authSecrets;
        private readonly BackendResolver _resolver;
        private readonly RouteTable _routes;
        private readonly BackendTable _backends;
        private readonly CanaryAttacher _canaries;
        private readonly HostAliases _aliases;
        private readonly ConversionSettings _settings;
        private readonly ClusterObjects _objects;
        private readonly ClusterIndex _index;

        /// <param name="settings">The settings with the controller ConfigMap applied.</param>
        /// <param name="ingresses">The Ingresses whose rule hosts aliases must leave alone.</param>
        /// <param name="rejections">The rejections so far (the controller ConfigMap's).</param>
        public Conversion(ClusterObjects objects, ConversionSettings settings, ClusterIndex index, IEnumerable<V1Ingress> ingresses, List<Rejection> rejections)
        {
            _rejections = rejections;
            _settings = settings;
            _objects = objects;
            _index = index;
            _tls = new IngressTls(index);
            _authSecrets = new BasicAuthSecrets(index);
            _resolver = new BackendResolver(index);
            _routes = new RouteTable(_rejections);
            _backends = new BackendTable(_rejections);
            _canaries = new CanaryAttacher(_routes, _backends, _rejections);
            _aliases = new HostAliases(_routes, RuleHosts(ingresses), _rejections);
        }

        /// <summary>Adds the Ingresses in <see cref="IngressOrder"/>; with <paramref name="outcomes"/>, notes what each was rejected or refused.</summary>
        public void AddAll(IEnumerable<V1Ingress> ingresses, List<IngressOutcome>? outcomes)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var ingress in IngressOrder.Of(ingresses, IsCanary))
            {
                var (rejected, refused) = (_rejections.Count, _refused.Count);
                // Two documents with one namespace/name (two files, or a List and a file): the API server holds one, so serve the first.
                if (!seen.Add(ObjectKey(ingress.Metadata)))
                {
                    Duplicate(ingress);
                }
                else
                {
                    Add(ingress);
                }

                if (outcomes is not null && (_rejections.Count > rejected || _refused.Count > refused))
                {
                    outcomes.Add(new IngressOutcome(ingress, PrintableRejections.Of(_rejections.Skip(rejected)), [.. _refused.Skip(refused)]));
                }
            }
        }

        public void Add(V1Ingress ingress)
        {
            var key = ObjectKey(ingress.Metadata);
            var source = $"Ingress {key}";
            var ns = ingress.Metadata?.NamespaceProperty ?? "default";

            if (string.IsNullOrEmpty(ingress.Metadata?.Name))
            {
                _rejections.Add(new Rejection(source, "metadata.name", "an Ingress needs a name"));
                return;
            }

            if (ObjectNames.Check(ingress.Metadata) is { } badName)
            {
                Refuse(ingress, badName.Field, badName.Reason);
                return;
            }

            var annotations = new AnnotationReader(source, ingress.Metadata.Annotations);
            var matchers = ReadMatchers(annotations);
            var rateLimits = RateLimitAnnotations.Read(annotations, key);
            var nginx = NginxAnnotations.Read(annotations);
            var healthAffinity = HealthAffinityAnnotations.Read(annotations);
            var cache = CacheAnnotations.Read(annotations);
            // A canary takes its main Ingress's CORS and authentication (its own are reported as ignored).
            var cors = nginx?.Canary is null ? CorsAnnotations.Read(annotations) : null;
            var auth = nginx?.Canary is null ? AuthAnnotations.Read(annotations, ns, _authSecrets) : AuthSettings.None;
            var nginxRoute = NginxAnnotations.IsCanary(ingress.Metadata.Annotations) ? NginxRouteSettings.None : NginxRouteAnnotations.Read(annotations, ns, key, _objects.ConfigMaps);
            _rejections.AddRange(annotations.Finish());
            if (matchers is null || nginx is null || auth is null)
            {
                // A match, access or authentication annotation that does not parse would widen the route; refuse the whole object.
                _refused.Add(source);
                return;
            }

            var mirrorCluster = nginxRoute.MirrorTarget is { } mirror ? MirrorTargets.Resolve(source, mirror, _resolver, _backends, _rejections) : null;
            var fallbackCluster = nginxRoute.DefaultBackend is { } fallback ? ResolveDefaultBackend(source, ns, fallback) : null;
            var (headers, query) = nginx.Canary is null ? matchers.Value : ([], []);
            var spec = ingress.Spec;
            var certificates = nginx.Canary is null ? _tls.Read(source, ns, spec, IngressRules.NormalizeHost, _rejections) : [];
            if (spec?.DefaultBackend is not null && nginx.Canary is not null)
            {
                _rejections.Add(new Rejection(source, "spec.defaultBackend", "a canary Ingress cannot set the default backend; ignored"));
            }
            else if (spec?.DefaultBackend is { } defaultBackend
                && _resolver.Resolve(source, "spec.defaultBackend", ns, defaultBackend, _rejections) is { } resolved)
            {
                var clusterId = _backends.Add(resolved);
                var route = new RouteSpec($"{key}#default", AnyHost, "/", PathMatchKind.Prefix, [], [], clusterId, source)
                {
                    IsDefaultBackend = true,
                    RateLimits = rateLimits,
                    Affinity = healthAffinity.Affinity,
                    Cache = cache,
                    Cors = cors,
                };
                route = auth.ApplyTo(route);
                _backends.ApplySettings(source, clusterId, nginx.Backend);
                _backends.SetHealth(source, clusterId, healthAffinity);
                _routes.Add(nginxRoute.ApplyTo(nginx.ApplyTo(route, hostHasTls: false, _settings.SslRedirect), mirrorCluster, fallbackCluster), "spec.defaultBackend");
            }

            if (spec?.DefaultBackend is null && (spec?.Rules ?? []).Count == 0)
            {
                _rejections.Add(new Rejection(source, "spec", "the Ingress has neither rules nor a defaultBackend"));
                _refused.Add(source);
                return;
            }

            foreach (var path in IngressRules.Walk(source, spec, new PathSyntax(nginx.Regex, nginx.RewriteTarget), _rejections))
            {
                if (_resolver.Resolve(source, $"{path.Field}.backend", ns, path.Backend, _rejections) is not { } backend)
                {
                    continue;
                }

                var clusterId = _backends.Add(backend);
                var route = nginx.ApplyTo(
                    new RouteSpec($"{key}#{path.Id}", path.Host, path.Path, path.Kind, headers, query, clusterId, source)
                    {
                        PathRegex = path.PathRegex,
                        TlsCertificate = certificates.GetValueOrDefault(path.Host),
                        RateLimits = rateLimits,
                        Affinity = healthAffinity.Affinity,
                        Cache = cache,
                        Cors = cors,
                    },
                    certificates.ContainsKey(path.Host),
                    _settings.SslRedirect);
                route = auth.ApplyTo(route);
                route = nginxRoute.ApplyTo(route, mirrorCluster, fallbackCluster);
                if (nginx.Canary is { } canary)
                {
                    _canaries.Attach(route, canary, path.Field);
                    continue;
                }

                _backends.ApplySettings(source, clusterId, nginx.Backend);
                if (_routes.Add(route, path.Field))
                {
                    _aliases.Add(key, route, nginxRoute, path.Field, certificates);
                }

                _backends.SetHealth(source, clusterId, healthAffinity);
            }
        }

        /// <summary>Refuses the whole Ingress: nothing of it is served.</summary>
        public void Refuse(V1Ingress ingress, string field, string reason)
        {
            var source = $"Ingress {ObjectKey(ingress.Metadata)}";
            _rejections.Add(new Rejection(source, field, reason));
            _refused.Add(source);
        }

        /// <summary>A second object of one namespace/name: not served, but not a refused version of the first either.</summary>
        public void Duplicate(V1Ingress ingress) =>
            _rejections.Add(new Rejection($"Ingress {ObjectKey(ingress.Metadata)}", "metadata.name", "another Ingress in the input has this namespace and name; the first (oldest) one is served"));

        /// <summary>default-backend's Service on its first port, as ingress-nginx takes it; null, with a rejection, when there is none.</summary>
        private string? ResolveDefaultBackend(string source, string ns, string service)
        {
            var field = $"metadata.annotations[{AnnotationTable.NginxDefaultBackend.Name}]";
            var port = _index.ServiceIn(ns, service)?.Spec?.Ports?.FirstOrDefault()?.Port;
            return _resolver.Resolve(source, field, field, ns, service, port is { } number ? new V1ServiceBackendPort { Number = number } : null, _rejections) is { } backend
                ? _backends.Add(backend)
                : null;
        }

        /// <summary>The host of each Ingress rule, with the first Ingress that has it, for server-alias and from-to-www-redirect.</summary>
        private static Dictionary<string, string> RuleHosts(IEnumerable<V1Ingress> ingresses)
        {
            var hosts = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var ingress in ingresses)
            {
                foreach (var rule in ingress.Spec?.Rules ?? [])
                {
                    if (IngressRules.NormalizeHost(rule.Host) is { } host && host != AnyHost)
                    {
                        hosts.TryAdd(host, $"Ingress {ObjectKey(ingress.Metadata)}");
                    }
                }
            }

            return hosts;
        }

        /// <summary>The routes, backends and certificates of a group of Ingresses, each with the controller's defaults, as <see cref="ToDesiredState"/> gives them.</summary>
        public ConvertedPart ToPart(List<IngressOutcome> outcomes) => new(
            ControllerConfig.WithDefaults(_routes.ToHosts(), _settings.Defaults),
            ControllerConfig.WithDefaults(_backends.ToBackends(), _settings.Defaults),
            _tls.Certificates,
            [.. outcomes]);

        /// <summary>The Ingresses' routes, then the Gateway API's: one host may have both (each kind ordered by its own spec, see the edge's RoutePrecedence).</summary>
        public DesiredState ToDesiredState()
        {
            var gatewayApi = new HttpRouteConversion(_objects, _settings, _resolver, _backends, _tls, _rejections);
            var status = _objects.GatewayApi.IsEmpty ? null : gatewayApi.Convert();
            var hosts = _routes.ToHosts();
            foreach (var (host, routes) in gatewayApi.Hosts)
            {
                hosts = hosts.SetItem(host, [.. hosts.GetValueOrDefault(host, []), .. routes.OrderBy(r => r.RouteId, StringComparer.Ordinal)]);
            }

            return new(ControllerConfig.WithDefaults(hosts, _settings.Defaults), ControllerConfig.WithDefaults(_backends.ToBackends(), _settings.Defaults), PrintableRejections.Of(_rejections))
            {
                Refused = [.. _refused],
                Certificates = _tls.Certificates,
                GatewayApi = status,
            };
        }
    }
}
