using Orleans.Proxy.Routing;
using Orleans.Proxy.Translation.Files;
using Orleans.Proxy.Translation.Ingress;
using Orleans.Proxy.Translation.Ingress.LastGood;

namespace Orleans.Proxy.UnitTests.Translation.Ingress;

public sealed class LastGoodVersionsTests
{
    private const string Services = """
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: shop}
        spec:
          ports: [{name: http, port: 80}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: web-1, namespace: shop, labels: {kubernetes.io/service-name: web}}
        addressType: IPv4
        ports: [{name: http, port: 8080}]
        endpoints: [{addresses: ["10.0.0.1"], conditions: {ready: true}}]
        ---

        """;

    private readonly LastGoodVersions _versions = new();

    private static string Ingress(string path = "/v1", string apiVersion = "networking.k8s.io/v1", string annotations = "{}", string secondPath = "/other") => $$"""
        apiVersion: {{apiVersion}}
        kind: Ingress
        metadata:
          name: web
          namespace: shop
          resourceVersion: "{{path.Length}}"
          annotations: {{annotations}}
        spec:
          rules:
          - host: shop.example.com
            http:
              paths:
              - path: "{{path}}"
                pathType: Prefix
                backend: {service: {name: web, port: {number: 80} } }
              - path: "{{secondPath}}"
                pathType: Prefix
                backend: {service: {name: web, port: {number: 80} } }
        """;

    private DesiredState Convert(string yaml)
    {
        var read = KubernetesYamlReader.Read("routes.yaml", Services + yaml);
        var desired = _versions.Convert(read.Objects, read.Refused);
        return desired with { Rejections = [.. read.Rejections, .. desired.Rejections] };
    }

    private static ClusterObjects Read(string yaml) => KubernetesYamlReader.Read("routes.yaml", yaml).Objects;

    /// <summary>The parts as one set, each part's objects the same as last time it was passed (as a file source hands over unchanged files).</summary>
    private DesiredState Convert(params ClusterObjects[] parts) =>
        _versions.Convert(ClusterObjects.Combine([Read(Services), .. parts]), []);

    private static string Other(string name, string annotations = "{}") =>
        Ingress("/x", annotations: annotations).Replace("name: web\n", $"name: {name}\n", StringComparison.Ordinal).Replace("shop.example.com", $"{name}.example.com", StringComparison.Ordinal);

    private static string[] Paths(DesiredState desired) =>
        [.. desired.Hosts.GetValueOrDefault("shop.example.com", []).Select(r => r.Path).Order(StringComparer.Ordinal)];

    [Fact]
    public void Convert_AnnotationRefusesNewVersion_ServesPreviousVersionAndSaysSo()
    {
        Convert(Ingress("/v1"));

        var desired = Convert(Ingress("/v2", annotations: "{nginx.ingress.kubernetes.io/whitelist-source-range: not-a-network}"));

        Assert.Equal(["/other", "/v1"], Paths(desired));
        Assert.Contains(desired.Rejections, r => r.Object == "Ingress shop/web" && r.Field.Contains("whitelist-source-range", StringComparison.Ordinal));
        Assert.Contains(desired.Rejections, r => r.Object == "Ingress shop/web" && r.Reason.Contains(LastGoodVersions.ServingPreviousVersion, StringComparison.Ordinal));
    }

    [Fact]
    public void Convert_UnknownApiVersionInFile_ServesPreviousVersion()
    {
        Convert(Ingress("/v1"));

        var desired = Convert(Ingress("/v2", apiVersion: "networking.k8s.io/v2"));

        Assert.Equal(["/other", "/v1"], Paths(desired));
        Assert.Contains(desired.Rejections, r => r.Object.StartsWith("Ingress shop/web (routes.yaml", StringComparison.Ordinal) && r.Field == "apiVersion");
        Assert.Contains(desired.Rejections, r => r.Object == "Ingress shop/web" && r.Reason.Contains(LastGoodVersions.ServingPreviousVersion, StringComparison.Ordinal));
    }

    [Fact]
    public void Convert_SchemaMismatchInFile_ServesPreviousVersion()
    {
        Convert(Ingress("/v1"));

        var desired = Convert(Ingress("/v1").Replace("- host: shop.example.com", "- host: [not, a, string]", StringComparison.Ordinal));

        Assert.Equal(["/other", "/v1"], Paths(desired));
        Assert.Contains(desired.Rejections, r => r.Object == "Ingress shop/web" && r.Reason.Contains(LastGoodVersions.ServingPreviousVersion, StringComparison.Ordinal));
    }

    [Fact]
    public void Convert_OneBadPathInNewVersion_ServesNewVersionWithoutThatPath()
    {
        Convert(Ingress("/v1"));

        var desired = Convert(Ingress("/v2", secondPath: "no-slash"));

        Assert.Equal(["/v2"], Paths(desired));
        Assert.DoesNotContain(desired.Rejections, r => r.Reason.Contains(LastGoodVersions.ServingPreviousVersion, StringComparison.Ordinal));
    }

    [Fact]
    public void Convert_RefusedWithoutPreviousVersion_ServesNothingForIt()
    {
        var desired = Convert(Ingress("/v2", annotations: "{nginx.ingress.kubernetes.io/whitelist-source-range: not-a-network}"));

        Assert.Empty(Paths(desired));
        Assert.DoesNotContain(desired.Rejections, r => r.Reason.Contains(LastGoodVersions.ServingPreviousVersion, StringComparison.Ordinal));
    }

    [Fact]
    public void Convert_RefusedThenFixed_ServesFixedVersion()
    {
        Convert(Ingress("/v1"));
        Convert(Ingress("/v2", apiVersion: "networking.k8s.io/v2"));

        var desired = Convert(Ingress("/v3"));

        Assert.Equal(["/other", "/v3"], Paths(desired));
        Assert.DoesNotContain(desired.Rejections, r => r.Object.StartsWith("Ingress shop/web", StringComparison.Ordinal));
    }

    [Fact]
    public void Convert_RefusedThenDeleted_ForgetsPreviousVersion()
    {
        Convert(Ingress("/v1"));
        Convert(Ingress("/v2", apiVersion: "networking.k8s.io/v2"));
        Assert.Empty(Paths(Convert("")));

        var desired = Convert(Ingress("/v2", apiVersion: "networking.k8s.io/v2"));

        Assert.Empty(Paths(desired));
    }

    [Fact]
    public void Convert_OtherObjectRefused_LeavesThisOneAsItIs()
    {
        Convert(Ingress("/v1"));

        var desired = Convert(Ingress("/v1") + "\n---\n" + Ingress("/x").Replace("name: web", "name: other", StringComparison.Ordinal)
            .Replace("shop.example.com", "other.example.com", StringComparison.Ordinal)
            .Replace("annotations: {}", "annotations: {orleans-proxy.io/match-headers: '=broken'}", StringComparison.Ordinal));

        Assert.Equal(["/other", "/v1"], Paths(desired));
        Assert.False(desired.Hosts.ContainsKey("other.example.com"));
        Assert.Contains(desired.Rejections, r => r.Object == "Ingress shop/other");
    }

    [Fact]
    public void Convert_HttpRouteWithUnknownFieldInFile_ServesPreviousVersionUntilDeleted()
    {
        const string route = """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: app, namespace: corpus, resourceVersion: "7"}
            spec:
              parentRefs: [{name: gw}]
              hostnames: [app.gw.corpus.test]
              rules: [{backendRefs: [{name: good, port: 80}]}]
            """;
        DesiredState ConvertRoute(string yaml)
        {
            var good = KubernetesYamlReader.Read("good.yaml", Hostile.HostileCorpus.Good);
            var read = KubernetesYamlReader.Read("route.yaml", yaml);
            return _versions.Convert(ClusterObjects.Combine([good.Objects, read.Objects]), read.Refused);
        }

        Assert.True(ConvertRoute(route).Hosts.ContainsKey("app.gw.corpus.test"));

        var refused = ConvertRoute(route.Replace("port: 80}", "port: 80, weigth: 5}", StringComparison.Ordinal));

        Assert.True(refused.Hosts.ContainsKey("app.gw.corpus.test"));
        Assert.Contains(refused.Rejections, r => r.Object == "HTTPRoute corpus/app" && r.Reason.Contains("resourceVersion 7", StringComparison.Ordinal)
            && r.Reason.Contains(LastGoodVersions.ServingPreviousVersion, StringComparison.Ordinal));
        Assert.False(ConvertRoute(string.Empty).Hosts.ContainsKey("app.gw.corpus.test"));
    }

    [Fact]
    public void Convert_SameObjectsAroundTheChange_RefusedThenFixed_ServesPreviousThenFixedVersion()
    {
        var (before, after) = (Read(Other("a")), Read(Other("z")));
        Convert(before, Read(Ingress("/v1")), after);

        var refused = Convert(before, Read(Ingress("/v2", annotations: "{nginx.ingress.kubernetes.io/whitelist-source-range: not-a-network}")), after);
        var fixedVersion = Convert(before, Read(Ingress("/v3")), after);

        Assert.Equal(["/other", "/v1"], Paths(refused));
        Assert.Equal(["/other", "/v3"], Paths(fixedVersion));
        Assert.DoesNotContain(fixedVersion.Rejections, r => r.Object.StartsWith("Ingress shop/web", StringComparison.Ordinal));
        Assert.True(fixedVersion.Hosts.ContainsKey("a.example.com") && fixedVersion.Hosts.ContainsKey("z.example.com"));
    }

    [Fact]
    public void Convert_SameObjectsAroundTheChange_DeletedWhileRefused_ForgetsPreviousVersion()
    {
        var (before, after) = (Read(Other("a")), Read(Other("z")));
        Convert(before, Read(Ingress("/v1")), after);
        Convert(before, Read(Ingress("/v2", apiVersion: "networking.k8s.io/v2")), after);
        Convert(before, after);

        var refusedAgain = Convert(before, Read(Ingress("/v2", apiVersion: "networking.k8s.io/v2")), after);

        Assert.Empty(Paths(refusedAgain));
        Assert.DoesNotContain(refusedAgain.Rejections, r => r.Reason.Contains(LastGoodVersions.ServingPreviousVersion, StringComparison.Ordinal));
    }

    [Fact]
    public void Convert_SameObjectAgainAfterItsRemoval_IsTheVersionKeptWhenRefusedNext()
    {
        var other = Read(Other("a"));
        var good = Read(Ingress("/v1"));
        var bad = Read(Ingress("/v2", annotations: "{nginx.ingress.kubernetes.io/whitelist-source-range: not-a-network}"));
        Convert(other, good);
        Convert(other, bad);
        Convert(other);
        Assert.Empty(Paths(Convert(other, bad)));

        Convert(other, good);
        var refused = Convert(other, bad);

        Assert.Equal(["/other", "/v1"], Paths(refused));
        Assert.Contains(refused.Rejections, r => r.Object == "Ingress shop/web" && r.Reason.Contains(LastGoodVersions.ServingPreviousVersion, StringComparison.Ordinal));
    }

    [Fact]
    public void Convert_TwoRefusedWithPreviousVersions_RejectionsInOrder()
    {
        const string broken = "{orleans-proxy.io/match-headers: '=broken'}";
        var (z, a) = (Read(Other("z")), Read(Other("a")));
        Convert(z, a);

        var desired = Convert(Read(Other("z", broken)), Read(Other("a", broken)));

        Assert.True(desired.Hosts.ContainsKey("a.example.com") && desired.Hosts.ContainsKey("z.example.com"));
        Assert.Equal(
            ["Ingress shop/a orleans-proxy.io/match-headers", "Ingress shop/z orleans-proxy.io/match-headers",
             "Ingress shop/a (whole object) 2", "Ingress shop/z (whole object) 2"],
            desired.Rejections.Select(r => $"{r.Object} {(r.Field.Contains("match-headers", StringComparison.Ordinal) ? "orleans-proxy.io/match-headers" : r.Field)}"
                + (r.Reason.Contains(LastGoodVersions.ServingPreviousVersion, StringComparison.Ordinal) ? $" {r.Reason.Split("resourceVersion ")[1][0]}" : string.Empty)));
    }

    [Fact]
    public void Read_UnknownApiVersion_NamesTheRefusedObjectFromItsMetadata()
    {
        var read = KubernetesYamlReader.Read("routes.yaml", Ingress(apiVersion: "extensions/v1beta1"));

        Assert.Equal("Ingress shop/web", Assert.Single(read.Refused));
        Assert.Empty(read.Objects.Ingresses);
    }
}
