using Orleans.Proxy.Affinity;
using Orleans.Proxy.Health;
using Orleans.Proxy.Translation.Files;
using Orleans.Proxy.Silo.RouteSources.Files;
using Orleans.Proxy.Translation.Annotations;
using Orleans.Proxy.Translation.Ingress;
using Orleans.Proxy.Silo.Publishing;

using Orleans.Proxy.Testing;

namespace Orleans.Proxy.UnitTests.Health;

/// <summary>Health-check and affinity annotations, ours and ingress-nginx's, through the converter.</summary>
public sealed class HealthAffinityAnnotationTests
{
    private const string ClusterId = "test/web:80";

    private static DesiredState Convert(params Dictionary<string, string>[] ingresses)
    {
        var yaml = Service();
        for (var i = 0; i < ingresses.Length; i++)
        {
            yaml += "---\n" + Manifests.IngressWithAnnotations($"web{i}", $"h{i}.test", ingresses[i], ("/", "Prefix", "web"));
        }

        var read = KubernetesYamlReader.Read("test.yaml", yaml);
        Assert.Empty(read.Rejections);
        return IngressConverter.Convert(read.Objects);
    }

    private static string Service() => """
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: test}
        spec:
          ports: [{name: http, port: 80}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: web-1, namespace: test, labels: {kubernetes.io/service-name: web}}
        ports: [{name: http, port: 8080}]
        endpoints: [{addresses: ["10.0.0.1"]}]

        """;

    private static AffinitySpec? AffinityOf(DesiredState state, int ingress = 0) => state.Hosts[$"h{ingress}.test"].Single().Affinity;

    [Fact]
    public void Convert_NoAnnotations_HealthAndAffinityOff()
    {
        var state = Convert(new Dictionary<string, string>());
        Assert.All(state.Backends.Values, b => Assert.True(b.HealthCheck is null && b.PassiveHealth is null));
        Assert.Null(AffinityOf(state));
        Assert.Empty(state.Rejections);
    }

    [Fact]
    public void Convert_HealthCheckPathOnly_DefaultsApply()
    {
        var state = Convert(new Dictionary<string, string> { ["orleans-proxy.io/health-check-path"] = "/healthz" });
        Assert.Equal(new HealthCheckSpec("/healthz", TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2), 2, 3), state.Backends[ClusterId].HealthCheck);
        Assert.Null(state.Backends[ClusterId].PassiveHealth);
    }

    [Fact]
    public void Convert_AllHealthSettings_Read()
    {
        var state = Convert(new Dictionary<string, string>
        {
            ["orleans-proxy.io/health-check-path"] = "/ready?deep=1",
            ["orleans-proxy.io/health-check-interval"] = "5s",
            ["orleans-proxy.io/health-check-timeout"] = "500ms",
            ["orleans-proxy.io/health-check-healthy-threshold"] = "1",
            ["orleans-proxy.io/health-check-unhealthy-threshold"] = "4",
            ["orleans-proxy.io/passive-health-5xx"] = "true",
            ["orleans-proxy.io/passive-health-failure-rate"] = "0.25",
            ["orleans-proxy.io/passive-health-min-requests"] = "20",
            ["orleans-proxy.io/passive-health-window"] = "30s",
            ["orleans-proxy.io/passive-health-reactivation-period"] = "2m",
        });
        Assert.Empty(state.Rejections);
        Assert.Equal(new HealthCheckSpec("/ready?deep=1", TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(500), 1, 4), state.Backends[ClusterId].HealthCheck);
        Assert.Equal(new PassiveHealthSpec(true, 0.25, 20, TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2)), state.Backends[ClusterId].PassiveHealth);
    }

    [Fact]
    public void Convert_PassiveHealthTrue_TransportFailuresWithDefaults()
    {
        var state = Convert(new Dictionary<string, string> { ["orleans-proxy.io/passive-health"] = "true" });
        Assert.Equal(new PassiveHealthSpec(false, 0.5, 10, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30)), state.Backends[ClusterId].PassiveHealth);
    }

    [Theory]
    [InlineData("orleans-proxy.io/affinity", "header:X-User", AffinityMode.Header, "X-User")]
    [InlineData("orleans-proxy.io/affinity", "client-ip", AffinityMode.ClientIp, "")]
    [InlineData("orleans-proxy.io/affinity", "cookie", AffinityMode.Cookie, AffinitySpec.DefaultCookieName)]
    [InlineData("nginx.ingress.kubernetes.io/affinity", "cookie", AffinityMode.Cookie, AffinitySpec.DefaultCookieName)]
    [InlineData("nginx.ingress.kubernetes.io/upstream-hash-by", "$remote_addr", AffinityMode.ClientIp, "")]
    [InlineData("nginx.ingress.kubernetes.io/upstream-hash-by", "$http_x_tenant_id", AffinityMode.Header, "x-tenant-id")]
    [InlineData("nginx.ingress.kubernetes.io/upstream-hash-by", "$cookie_session", AffinityMode.Cookie, "session")]
    public void Convert_AffinityAnnotation_MapsToMode(string annotation, string value, AffinityMode mode, string name)
    {
        var state = Convert(new Dictionary<string, string> { [annotation] = value });
        Assert.Empty(state.Rejections);
        Assert.Equal(new AffinitySpec(mode, name, AffinitySpec.DefaultTtl), AffinityOf(state));
    }

    [Fact]
    public void Convert_CookieNameAndTtl_OursAndNginx()
    {
        var ours = Convert(new Dictionary<string, string> { ["orleans-proxy.io/affinity"] = "cookie", ["orleans-proxy.io/affinity-cookie-name"] = "sticky", ["orleans-proxy.io/affinity-ttl"] = "2h" });
        Assert.Equal(new AffinitySpec(AffinityMode.Cookie, "sticky", TimeSpan.FromHours(2)), AffinityOf(ours));

        var nginx = Convert(new Dictionary<string, string>
        {
            ["nginx.ingress.kubernetes.io/affinity"] = "cookie",
            ["nginx.ingress.kubernetes.io/session-cookie-name"] = "INGRESSCOOKIE",
            ["nginx.ingress.kubernetes.io/session-cookie-max-age"] = "172800",
        });
        Assert.Equal(new AffinitySpec(AffinityMode.Cookie, "INGRESSCOOKIE", TimeSpan.FromDays(2)), AffinityOf(nginx));
    }

    [Theory]
    [InlineData("orleans-proxy.io/affinity", "sticky")]
    [InlineData("orleans-proxy.io/affinity", "header:")]
    [InlineData("nginx.ingress.kubernetes.io/affinity", "balanced")]
    [InlineData("nginx.ingress.kubernetes.io/upstream-hash-by", "$request_uri$host")]
    public void Convert_BadAffinity_RejectedByNameAndRouteServesWithoutIt(string annotation, string value)
    {
        var state = Convert(new Dictionary<string, string> { [annotation] = value });
        var rejection = Assert.Single(state.Rejections);
        Assert.Equal("Ingress test/web0", rejection.Object);
        Assert.Equal($"metadata.annotations[{annotation}]", rejection.Field);
        Assert.Contains(value, rejection.Reason, StringComparison.Ordinal);
        Assert.Null(AffinityOf(state));
        Assert.Single(state.Hosts["h0.test"]);
    }

    [Theory]
    [InlineData("orleans-proxy.io/health-check-path", "healthz")]
    [InlineData("orleans-proxy.io/health-check-interval", "fast")]
    [InlineData("orleans-proxy.io/health-check-interval", "10ms")]
    [InlineData("orleans-proxy.io/health-check-unhealthy-threshold", "0")]
    [InlineData("orleans-proxy.io/passive-health-failure-rate", "1.5")]
    [InlineData("orleans-proxy.io/passive-health", "yes")]
    public void Convert_BadHealthSetting_RejectedByNameAndRouteServes(string annotation, string value)
    {
        var annotations = new Dictionary<string, string> { ["orleans-proxy.io/health-check-path"] = "/healthz", [annotation] = value };
        var state = Convert(annotations);
        var rejection = Assert.Single(state.Rejections);
        Assert.Equal($"metadata.annotations[{annotation}]", rejection.Field);
        Assert.Contains(value, rejection.Reason, StringComparison.Ordinal);
        Assert.Single(state.Hosts["h0.test"]);
    }

    [Fact]
    public void Convert_ThresholdWithoutPath_Rejected()
    {
        var state = Convert(new Dictionary<string, string> { ["orleans-proxy.io/health-check-interval"] = "5s" });
        var rejection = Assert.Single(state.Rejections);
        Assert.Equal("metadata.annotations[orleans-proxy.io/health-check-interval]", rejection.Field);
        Assert.All(state.Backends.Values, b => Assert.True(b.HealthCheck is null && b.PassiveHealth is null));
    }

    [Fact]
    public void Convert_TwoIngressesDisagreeOnBackendHealth_FirstWinsSecondRejected()
    {
        var state = Convert(
            new Dictionary<string, string> { ["orleans-proxy.io/health-check-path"] = "/a" },
            new Dictionary<string, string> { ["orleans-proxy.io/health-check-path"] = "/b" },
            new Dictionary<string, string>());
        Assert.Equal("/a", state.Backends[ClusterId].HealthCheck!.Path);
        var rejection = Assert.Single(state.Rejections);
        Assert.Equal("Ingress test/web1", rejection.Object);
        Assert.Contains("Ingress test/web0", rejection.Reason, StringComparison.Ordinal);
    }
}
