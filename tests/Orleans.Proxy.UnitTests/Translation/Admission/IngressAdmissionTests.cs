using k8s.Models;
using Orleans.Proxy.Translation.Admission;
using Orleans.Proxy.Translation.Files;
using Orleans.Proxy.Translation.Ingress;

namespace Orleans.Proxy.UnitTests.Translation.Admission;

public sealed class IngressAdmissionTests
{
    private static V1Ingress Ingress(string yaml) => Assert.Single(KubernetesYamlReader.Read("i.yaml", yaml).Objects.Ingresses);

    private static string Yaml(string name, string annotations = "{}", string tls = "", string path = "/", string host = "a.test") => $$"""
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: {{name}}, namespace: shop, annotations: {{annotations}}, creationTimestamp: "2026-01-01T00:00:00Z"}
        spec:
          {{tls}}
          rules:
          - host: {{host}}
            http:
              paths:
              - path: "{{path}}"
                pathType: Prefix
                backend:
                  service:
                    name: web
                    port: {number: 80}
        """;

    [Fact]
    public void Review_ServiceAndSecretNotThereYet_Allowed_WithoutWarnings()
    {
        var verdict = IngressAdmission.Review(Ingress(Yaml("app", tls: "tls: [{hosts: [a.test], secretName: a-tls}]")), ClusterObjects.Empty, ConversionSettings.Default);

        Assert.Equal((true, null, 0), (verdict.Allowed, verdict.Message, verdict.Warnings.Length));
    }

    [Fact]
    public void Review_CanaryWithItsMainIngress_Allowed_WithoutMainItIsRefusedWhole()
    {
        var main = Ingress(Yaml("main"));
        var canary = Ingress(Yaml("canary", "{nginx.ingress.kubernetes.io/canary: \"true\", nginx.ingress.kubernetes.io/canary-weight: \"10\"}"));

        Assert.True(IngressAdmission.Review(canary, ClusterObjects.Empty with { Ingresses = [main] }, ConversionSettings.Default).Allowed);
        var alone = IngressAdmission.Review(canary, ClusterObjects.Empty, ConversionSettings.Default);
        Assert.False(alone.Allowed);
        Assert.Contains("a canary needs a main Ingress", alone.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Review_UpdateOfAnExistingIngress_JudgesTheNewVersionInPlaceOfTheOld()
    {
        var old = Ingress(Yaml("app"));
        var updated = Ingress(Yaml("app", "{nginx.ingress.kubernetes.io/denylist-source-range: \"nonsense\"}"));

        var verdict = IngressAdmission.Review(updated, ClusterObjects.Empty with { Ingresses = [old] }, ConversionSettings.Default);

        Assert.False(verdict.Allowed);
        Assert.StartsWith("Ingress shop/app would be refused: metadata.annotations[nginx.ingress.kubernetes.io/denylist-source-range]:", verdict.Message, StringComparison.Ordinal);
    }
}
