using k8s.Models;
using Orleans.Proxy.Routing;
using Orleans.Proxy.Translation.Files;
using Orleans.Proxy.Translation.GatewayApi;
using Orleans.Proxy.Translation.Ingress;

namespace Orleans.Proxy.UnitTests.Translation.GatewayApi;

/// <summary>
/// What the conversion serves and the status it gives, for the attachment, reference and listener
/// cases the Gateway API conformance suite checks (with our own fixtures).
/// </summary>
public sealed class HttpRouteConversionTests
{
    private const string Base = """
        apiVersion: gateway.networking.k8s.io/v1
        kind: GatewayClass
        metadata: {name: ours, generation: 4}
        spec: {controllerName: orleans-proxy.io/gateway-controller}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: infra}
        spec: {ports: [{name: http, port: 8080}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: app, namespace: apps}
        spec: {ports: [{name: http, port: 8080}]}
        ---
        apiVersion: v1
        kind: Secret
        metadata: {name: wrong-type, namespace: infra}
        type: Opaque
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: infra, generation: 2}
        spec:
          gatewayClassName: ours
          listeners:
          - {name: http, port: 80, protocol: HTTP, hostname: "*.example.com"}
          - {name: other, port: 8080, protocol: HTTP}
        ---

        """;

    private static DesiredState Convert(string yaml)
    {
        var read = KubernetesYamlReader.Read("test.yaml", Base + yaml);
        Assert.Empty(read.Rejections);
        return IngressConverter.Convert(read.Objects);
    }

    private static string Route(string name, string ns, string parent, string hostnames = "[a.example.com]", string backend = "{name: web, namespace: infra, port: 8080}", string created = "2026-01-01T00:00:00Z") => $$"""
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: {{name}}, namespace: {{ns}}, generation: 7, creationTimestamp: "{{created}}"}
        spec:
          parentRefs: [{{parent}}]
          hostnames: {{hostnames}}
          rules: [{backendRefs: [{{backend}}]}]
        ---

        """;

    private static RouteParentStatus Parent(DesiredState desired, string name) =>
        desired.GatewayApi!.Routes.Single(r => r.Name == name).Status.Parents.Single();

    private static string Condition(IEnumerable<V1Condition>? conditions, string type) =>
        conditions?.SingleOrDefault(c => c.Type == type) is { } c ? $"{c.Status}:{c.Reason}" : "absent";

    [Fact]
    public void Convert_AttachedRoute_AcceptedResolvedAndCountedOnItsListener()
    {
        var desired = Convert(Route("r", "infra", "{name: gw, sectionName: http}"));

        var parent = Parent(desired, "r");
        Assert.Equal("True:Accepted", Condition(parent.Conditions, GatewayConditions.Accepted));
        Assert.Equal("True:ResolvedRefs", Condition(parent.Conditions, GatewayConditions.ResolvedRefs));
        Assert.All(parent.Conditions, c => Assert.Equal(7, c.ObservedGeneration));
        Assert.Equal("infra/web:8080", Assert.Single(desired.Hosts["a.example.com"]).ClusterId);
        var listeners = desired.GatewayApi!.Gateways.Single().Status.Listeners!;
        Assert.Equal(1, listeners.Single(l => l.Name == "http").AttachedRoutes);
        Assert.Equal(0, listeners.Single(l => l.Name == "other").AttachedRoutes);
        Assert.Equal("True:Accepted", Condition(desired.GatewayApi.Classes.Single().Status.Conditions, GatewayConditions.Accepted));
        Assert.Equal(4, desired.GatewayApi.Classes.Single().Status.Conditions!.Single().ObservedGeneration);
    }

    [Theory]
    [InlineData("{name: gw, sectionName: nope}", "False:NoMatchingParent")]
    [InlineData("{name: gw, sectionName: http, port: 81}", "False:NoMatchingParent")]
    [InlineData("{name: gw, port: 80}", "True:Accepted")]
    public void Convert_ParentRefSectionAndPort_MustNameAListener(string parent, string accepted)
    {
        var desired = Convert(Route("r", "infra", parent));

        Assert.Equal(accepted, Condition(Parent(desired, "r").Conditions, GatewayConditions.Accepted));
        Assert.Equal("True:ResolvedRefs", Condition(Parent(desired, "r").Conditions, GatewayConditions.ResolvedRefs));
        Assert.Equal(accepted.StartsWith("True", StringComparison.Ordinal), desired.Hosts.ContainsKey("a.example.com"));
    }

    [Fact]
    public void Convert_RouteFromAnotherNamespace_NotAllowedByASameNamespaceListener()
    {
        var desired = Convert(Route("r", "apps", "{name: gw, namespace: infra}", backend: "{name: app, port: 8080}"));

        Assert.Equal("False:NotAllowedByListeners", Condition(Parent(desired, "r").Conditions, GatewayConditions.Accepted));
        Assert.Empty(desired.Hosts);
        Assert.All(desired.GatewayApi!.Gateways.Single().Status.Listeners!, l => Assert.Equal(0, l.AttachedRoutes));
    }

    [Fact]
    public void Convert_NoHostnameIntersection_NoMatchingListenerHostname()
    {
        var desired = Convert(Route("r", "infra", "{name: gw, sectionName: http}", hostnames: "[example.com, other.org]"));

        Assert.Equal("False:NoMatchingListenerHostname", Condition(Parent(desired, "r").Conditions, GatewayConditions.Accepted));
        Assert.Empty(desired.Hosts);
    }

    [Theory]
    [InlineData("{name: missing, port: 8080}", "False:BackendNotFound")]
    [InlineData("{name: web, port: 9999}", "False:BackendNotFound")]
    [InlineData("{name: web}", "False:BackendNotFound")]
    [InlineData("{group: example.com, kind: Bucket, name: b}", "False:InvalidKind")]
    [InlineData("{name: app, namespace: apps, port: 8080}", "False:RefNotPermitted")]
    public void Convert_InvalidBackendRef_RouteStaysAcceptedAndItsShareIsAnswered500(string backend, string resolved)
    {
        var desired = Convert(Route("r", "infra", "{name: gw}", backend: backend));

        var parent = Parent(desired, "r");
        Assert.Equal("True:Accepted", Condition(parent.Conditions, GatewayConditions.Accepted));
        Assert.Equal(resolved, Condition(parent.Conditions, GatewayConditions.ResolvedRefs));
        var route = Assert.Single(desired.Hosts["a.example.com"]);
        Assert.Equal(string.Empty, route.ClusterId);
        Assert.Equal(new WeightedBackend(string.Empty, 1), Assert.Single(route.HttpRoute!.Backends));
        Assert.Contains(desired.Rejections, r => r.Object == "HTTPRoute infra/r");
    }

    [Fact]
    public void Convert_ReferenceGrantInTheTargetNamespace_AllowsTheCrossNamespaceBackend()
    {
        var desired = Convert(Route("r", "infra", "{name: gw}", backend: "{name: app, namespace: apps, port: 8080}") + """
            apiVersion: gateway.networking.k8s.io/v1beta1
            kind: ReferenceGrant
            metadata: {name: g, namespace: apps}
            spec:
              from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: infra}]
              to: [{group: "", kind: Service, name: app}]
            """);

        Assert.Equal("True:ResolvedRefs", Condition(Parent(desired, "r").Conditions, GatewayConditions.ResolvedRefs));
        Assert.Equal("apps/app:8080", desired.Hosts["a.example.com"].Single().ClusterId);
    }

    [Fact]
    public void Convert_RulesWithoutBackends_ResolvedAndAnswered500()
    {
        var desired = Convert("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: r, namespace: infra}
            spec:
              parentRefs: [{name: gw}]
              hostnames: [a.example.com]
              rules: [{matches: [{path: {type: Exact, value: /none}}]}, {matches: [{path: {type: Exact, value: /empty}}], backendRefs: []}]
            """);

        Assert.Equal("True:ResolvedRefs", Condition(Parent(desired, "r").Conditions, GatewayConditions.ResolvedRefs));
        Assert.All(desired.Hosts["a.example.com"], r => Assert.Equal((string.Empty, 0), (r.ClusterId, r.HttpRoute!.Backends.Length)));
    }

    [Fact]
    public void Convert_MatchesOfSeveralRoutes_OrderedByAgeThenNameThenRuleAndMatch()
    {
        var desired = Convert(
            Route("young", "infra", "{name: gw}", created: "2026-03-01T00:00:00Z")
            + Route("b-old", "infra", "{name: gw}", created: "2026-01-01T00:00:00Z")
            + Route("a-old", "infra", "{name: gw}", created: "2026-01-01T00:00:00Z"));

        var order = desired.Hosts["a.example.com"].OrderBy(r => r.HttpRoute!.Order).Select(r => r.Source);
        Assert.Equal(["HTTPRoute infra/a-old", "HTTPRoute infra/b-old", "HTTPRoute infra/young"], order);
    }

    [Fact]
    public void Convert_Listeners_InvalidOnesReportedAndTheOthersServed()
    {
        var desired = Convert("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: mixed, namespace: infra, generation: 9}
            spec:
              gatewayClassName: ours
              listeners:
              - {name: tcp, port: 9000, protocol: TCP}
              - {name: kinds, port: 81, protocol: HTTP, allowedRoutes: {kinds: [{kind: TLSRoute}]}}
              - {name: some-kinds, port: 82, protocol: HTTP, allowedRoutes: {kinds: [{kind: TLSRoute}, {kind: HTTPRoute}]}}
              - {name: dup-a, port: 83, protocol: HTTP, hostname: a.example.com}
              - {name: dup-b, port: 83, protocol: HTTP, hostname: a.example.com}
              - {name: no-cert, port: 443, protocol: HTTPS, hostname: s.example.com}
              - {name: bad-secret, port: 444, protocol: HTTPS, tls: {certificateRefs: [{name: wrong-type}]}}
              - {name: foreign-secret, port: 445, protocol: HTTPS, tls: {certificateRefs: [{name: tls, namespace: apps}]}}
              - {name: bad-kind, port: 446, protocol: HTTPS, tls: {certificateRefs: [{group: example.com, kind: Vault, name: v}]}}
            """);

        var gateway = desired.GatewayApi!.Gateways.Single(g => g.Name == "mixed").Status;
        var listeners = gateway.Listeners!.ToDictionary(l => l.Name);
        Assert.Equal("False:UnsupportedProtocol", Condition(listeners["tcp"].Conditions, GatewayConditions.Accepted));
        Assert.Empty(listeners["tcp"].SupportedKinds);
        Assert.Equal("False:InvalidRouteKinds", Condition(listeners["kinds"].Conditions, GatewayConditions.ResolvedRefs));
        Assert.Empty(listeners["kinds"].SupportedKinds);
        Assert.Equal("False:InvalidRouteKinds", Condition(listeners["some-kinds"].Conditions, GatewayConditions.ResolvedRefs));
        Assert.Equal("True:Programmed", Condition(listeners["some-kinds"].Conditions, GatewayConditions.Programmed));
        Assert.Equal("HTTPRoute", Assert.Single(listeners["some-kinds"].SupportedKinds).Kind);
        Assert.Equal("True:HostnameConflict", Condition(listeners["dup-a"].Conditions, GatewayConditions.Conflicted));
        Assert.Equal("True:HostnameConflict", Condition(listeners["dup-b"].Conditions, GatewayConditions.Conflicted));
        Assert.Equal("False:InvalidCertificateRef", Condition(listeners["no-cert"].Conditions, GatewayConditions.ResolvedRefs));
        Assert.Equal("False:InvalidCertificateRef", Condition(listeners["bad-secret"].Conditions, GatewayConditions.ResolvedRefs));
        Assert.Equal("False:RefNotPermitted", Condition(listeners["foreign-secret"].Conditions, GatewayConditions.ResolvedRefs));
        Assert.Equal("False:InvalidCertificateRef", Condition(listeners["bad-kind"].Conditions, GatewayConditions.ResolvedRefs));
        Assert.Equal("False:Invalid", Condition(listeners["bad-kind"].Conditions, GatewayConditions.Programmed));
        Assert.Equal("True:ListenersNotValid", Condition(gateway.Conditions, GatewayConditions.Accepted));
        Assert.All(gateway.Conditions!.Concat(gateway.Listeners!.SelectMany(l => l.Conditions)), c => Assert.Equal(9, c.ObservedGeneration));
    }

    [Fact]
    public void Convert_GatewayClassWithParameters_NotAcceptedAndItsGatewaysNotServed()
    {
        var read = KubernetesYamlReader.Read("test.yaml", """
            apiVersion: gateway.networking.k8s.io/v1
            kind: GatewayClass
            metadata: {name: ours}
            spec: {controllerName: orleans-proxy.io/gateway-controller, parametersRef: {group: example.com, kind: Config, name: c}}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: gw, namespace: infra}
            spec: {gatewayClassName: ours, listeners: [{name: http, port: 80, protocol: HTTP}]}
            """);

        var desired = IngressConverter.Convert(read.Objects);

        Assert.Equal("False:InvalidParameters", Condition(desired.GatewayApi!.Classes.Single().Status.Conditions, GatewayConditions.Accepted));
        Assert.Empty(desired.GatewayApi.Gateways);
    }

    [Fact]
    public void Convert_GatewayWithInfrastructureParameters_NotAcceptedAndNotServed()
    {
        var desired = Convert("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: with-parameters, namespace: infra}
            spec:
              gatewayClassName: ours
              infrastructure: {parametersRef: {group: invalid.io, kind: InvalidParameters, name: invalid}}
              listeners: [{name: http, port: 80, protocol: HTTP}]
            ---

            """ + Route("r", "infra", "{name: with-parameters}"));

        Assert.Equal("False:InvalidParameters", Condition(desired.GatewayApi!.Gateways.Single(g => g.Name == "with-parameters").Status.Conditions, GatewayConditions.Accepted));
        Assert.Empty(desired.Hosts);
        Assert.Empty(desired.GatewayApi.Routes);
    }

    [Fact]
    public void Convert_RouteOnTwoGateways_AParentStatusForEachAndServedByBoth()
    {
        var desired = Convert("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: second, namespace: infra}
            spec: {gatewayClassName: ours, listeners: [{name: https, port: 443, protocol: HTTP}]}
            ---

            """ + Route("r", "infra", "{name: gw, sectionName: http}, {name: second}"));

        var parents = desired.GatewayApi!.Routes.Single().Status.Parents;
        Assert.Equal(["gw", "second"], parents.Select(p => p.ParentRef.Name));
        Assert.All(parents, p => Assert.Equal("True:Accepted", Condition(p.Conditions, GatewayConditions.Accepted)));
        Assert.Single(desired.Hosts["a.example.com"]);
    }

    [Fact]
    public void Convert_OurAnnotationsOnAnHttpRoute_RateLimitHealthAffinityAndCacheAsOnAnIngress()
    {
        var desired = Convert("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata:
              name: r
              namespace: infra
              annotations:
                orleans-proxy.io/rate-limit-rps: "10"
                orleans-proxy.io/health-check-path: /healthz
                orleans-proxy.io/affinity: cookie
                orleans-proxy.io/cache: "true"
                nginx.ingress.kubernetes.io/limit-rps: "5"
                orleans-proxy.io/match-headers: "x-a=b"
            spec:
              parentRefs: [{name: gw}]
              hostnames: [a.example.com]
              rules: [{backendRefs: [{name: web, port: 8080}]}]
            """);

        var route = desired.Hosts["a.example.com"].Single();
        Assert.Equal(10, Assert.Single(route.RateLimits).Permits);
        Assert.NotNull(route.Affinity);
        Assert.NotNull(route.Cache);
        Assert.Equal("/healthz", desired.Backends["infra/web:8080"].HealthCheck?.Path);
        Assert.Contains(desired.Rejections, r => r.Field == "metadata.annotations[nginx.ingress.kubernetes.io/limit-rps]" && r.Reason.Contains("Ingresses only", StringComparison.Ordinal));
        Assert.Contains(desired.Rejections, r => r.Field == "metadata.annotations[orleans-proxy.io/match-headers]");
    }

    [Fact]
    public void Read_GatewayApiObjectWithAFieldItsSchemaLacks_RefusedNamingTheField()
    {
        var read = KubernetesYamlReader.Read("test.yaml", """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: r, namespace: infra}
            spec:
              parentRefs: [{name: gw}]
              rules: [{matches: [{path: {value: /a}, header: [{name: x, value: y}]}]}]
            """);

        Assert.Empty(read.Objects.GatewayApi.HttpRoutes);
        Assert.Equal("spec.rules[0].matches[0].header", Assert.Single(read.Rejections).Field);
    }
}
