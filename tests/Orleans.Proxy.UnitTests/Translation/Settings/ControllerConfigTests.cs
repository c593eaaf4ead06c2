using Orleans.Proxy.Routing;
using Orleans.Proxy.Translation.Files;
using Orleans.Proxy.Translation.Ingress;
using Orleans.Proxy.Translation.Settings;

namespace Orleans.Proxy.UnitTests.Translation.Settings;

public sealed class ControllerConfigTests
{
    private const string Objects = """
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: shop}
        spec:
          ports: [{name: http, port: 80}]
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: plain
          namespace: shop
          annotations: {nginx.ingress.kubernetes.io/limit-rps: "5"}
        spec:
          rules:
          - host: plain.test
            http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: annotated
          namespace: shop
          annotations: {nginx.ingress.kubernetes.io/proxy-body-size: "2k"}
        spec:
          rules:
          - host: annotated.test
            http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
        ---

        """;

    private static readonly ConversionSettings Settings = new() { ConfigMap = "ops/proxy" };

    private static DesiredState Convert(string data, ConversionSettings? settings = null)
    {
        var read = KubernetesYamlReader.Read("test.yaml", Objects + $"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: proxy, namespace: ops}}\ndata:\n{data}");
        Assert.Empty(read.Rejections);
        return IngressConverter.Convert(read.Objects, settings ?? Settings);
    }

    private static RouteSpec Route(DesiredState desired, string host) => Assert.Single(desired.Hosts[host]);

    [Fact]
    public void Convert_HonouredKeys_BecomeTheDefaultsOfRoutesAndBackends()
    {
        var desired = Convert("""
              hsts: "true"
              hsts-max-age: "600"
              hsts-preload: "true"
              compute-full-forwarded-for: "true"
              proxy-body-size: 1m
              proxy-connect-timeout: "3"
              proxy-read-timeout: "20"
              proxy-send-timeout: "30"
              limit-req-status-code: "503"
              allow-snippet-annotations: "false"
              use-forwarded-headers: "false"
            """);

        Assert.Empty(desired.Rejections);
        var plain = Route(desired, "plain.test");
        Assert.Equal("max-age=600; includeSubDomains; preload", plain.StrictTransportSecurity);
        Assert.True(plain.AppendForwardedFor);
        Assert.Equal(1024 * 1024, plain.MaxRequestBodySize);
        Assert.Equal(503, plain.RateLimitStatusCode);
        // The annotation wins over the global default; a route without rate limits carries no status.
        var annotated = Route(desired, "annotated.test");
        Assert.Equal(2048, annotated.MaxRequestBodySize);
        Assert.Null(annotated.RateLimitStatusCode);
        var backend = Assert.Single(desired.Backends).Value;
        Assert.Equal((TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(30)), (backend.ConnectTimeout, backend.ActivityTimeout));
    }

    [Fact]
    public void Apply_SslRedirectKey_OverridesTheSiloSetting_AbsentKeyKeepsIt()
    {
        static bool SslRedirect(string data) => ControllerConfig.Apply(Settings with { SslRedirect = true },
            KubernetesYamlReader.Read("c.yaml", $"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: proxy, namespace: ops}}\ndata: {data}\n").Objects.ConfigMaps, []).SslRedirect;

        Assert.False(SslRedirect("{ssl-redirect: \"false\"}"));
        Assert.True(SslRedirect("{hsts: \"true\"}"));
    }

    [Fact]
    public void Convert_BadUnknownAndUnhonouredKeys_EachReportedNamingTheConfigMapAndKey_OthersApply()
    {
        var desired = Convert("""
              proxy-body-size: lots
              hsts-max-age: "60"
              allow-snippet-annotations: "true"
              use-forwarded-headers: "true"
              proxy-buffering: "on"
              enable-cors: "true"
              custom-http-errors: "404,503"
              no-such-key: "1"
              compute-full-forwarded-for: "true"
            """);

        string Reason(string key) => Assert.Single(desired.Rejections, r => r.Field == $"data[{key}]").Reason;
        Assert.All(desired.Rejections, r => Assert.Equal("ConfigMap ops/proxy", r.Object));
        Assert.Equal(8, desired.Rejections.Length);
        Assert.StartsWith("'lots' is not a size", Reason("proxy-body-size"), StringComparison.Ordinal);
        Assert.Equal("has no effect without hsts: \"true\"", Reason("hsts-max-age"));
        Assert.StartsWith("refused, never applied: Snippet annotations are always refused", Reason("allow-snippet-annotations"), StringComparison.Ordinal);
        Assert.Contains("RateLimiting:TrustedProxies", Reason("use-forwarded-headers"), StringComparison.Ordinal);
        Assert.StartsWith("accepted with no effect: YARP streams", Reason("proxy-buffering"), StringComparison.Ordinal);
        Assert.StartsWith("this ingress-nginx ConfigMap key is not supported yet", Reason("enable-cors"), StringComparison.Ordinal);
        Assert.StartsWith("this ingress-nginx ConfigMap key is not supported yet", Reason("custom-http-errors"), StringComparison.Ordinal);
        Assert.StartsWith("unknown ConfigMap key", Reason("no-such-key"), StringComparison.Ordinal);
        var plain = Route(desired, "plain.test");
        Assert.True(plain.AppendForwardedFor);
        Assert.Null(plain.MaxRequestBodySize);
        Assert.Null(plain.StrictTransportSecurity);
    }

    [Fact]
    public void Convert_ConfigMapNotNamedOrAbsent_ChangesNothing()
    {
        var named = Convert("  hsts: \"true\"\n", Settings with { ConfigMap = "ops/other" });
        var none = Convert("  hsts: \"true\"\n", Settings with { ConfigMap = null });

        Assert.All(new[] { named, none }, d => Assert.Null(Route(d, "plain.test").StrictTransportSecurity));
        Assert.All(new[] { named, none }, d => Assert.Empty(d.Rejections));
    }

    [Fact]
    public void Table_EveryKey_ListedOnce()
    {
        Assert.Equal(ControllerConfigTable.All.Length, ControllerConfigTable.All.Select(k => k.Name).Distinct(StringComparer.Ordinal).Count());
        Assert.All(ControllerConfigTable.All.Where(k => !k.IsHonoured && k.Status != Orleans.Proxy.Translation.Annotations.AnnotationStatus.NotYet), k => Assert.NotEmpty(k.Notes));
    }
}
