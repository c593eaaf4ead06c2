using k8s.Models;
using Orleans.Proxy.IntegrationTests.Kubernetes.Controller;
using Orleans.Proxy.IntegrationTests.Kubernetes.FakeApiServer;
using Orleans.Proxy.Silo.Migration;

namespace Orleans.Proxy.IntegrationTests.Kubernetes.Migration;

/// <summary>The migration report reading a cluster's API (the fake API server) without a kubeconfig.</summary>
public sealed class MigrationFromApiTests
{
    [Fact]
    public async Task Migrate_ApiServer_ReportsIngressesServicesAndTheConfigMap_AndExitsOneWhenSomethingIsLost()
    {
        await using var server = await FakeKubernetesApiServer.StartAsync();
        server.Inject(new V1Service { Metadata = new() { Name = "web", NamespaceProperty = "shop" }, Spec = new() { Ports = [new V1ServicePort { Name = "http", Port = 80 }] } });
        var plain = ControllerTestBed.Ingress("plain", "plain.test", className: "nginx", paths: ("/", "web"));
        plain.Metadata.NamespaceProperty = "shop";
        server.Inject(plain);
        var snippet = ControllerTestBed.Ingress("snippet", "snippet.test", className: "nginx", paths: ("/", "web"));
        snippet.Metadata.NamespaceProperty = "shop";
        snippet.Metadata.Annotations = new Dictionary<string, string> { ["nginx.ingress.kubernetes.io/configuration-snippet"] = "more_set_headers \"X-A: b\";" };
        server.Inject(snippet);
        server.Inject(new V1ConfigMap { Metadata = new() { Name = "ingress-nginx-controller", NamespaceProperty = "ingress-nginx" }, Data = new Dictionary<string, string> { ["hsts"] = "true" } });
        using var output = new StringWriter();

        var exit = await MigrationCommand.RunAsync(["--api-server", server.Url], output);

        var report = output.ToString();
        Assert.Equal(1, exit);
        Assert.Contains("Ingress shop/plain: carries over (1 route)\n", report, StringComparison.Ordinal);
        Assert.Contains("Ingress shop/snippet: LOSES SOMETHING (1 route)\n  refused      nginx.ingress.kubernetes.io/configuration-snippet", report, StringComparison.Ordinal);
        Assert.Contains("ConfigMap ingress-nginx/ingress-nginx-controller: carries over, with differences\n  differs      hsts", report, StringComparison.Ordinal);
        Assert.DoesNotContain("assumed", report, StringComparison.Ordinal);
        Assert.Contains("Summary: 2 Ingresses, 1 carry over", report, StringComparison.Ordinal);
    }
}
