using System.Net;
using k8s.Models;
using Orleans.Proxy.IntegrationTests.Infrastructure;
using Orleans.Proxy.IntegrationTests.Kubernetes.Kustomize;

namespace Orleans.Proxy.IntegrationTests.Kubernetes.Controller;

/// <summary>The controller ConfigMap read from the API: the one ConfigMap is watched, and a change applies without a restart.</summary>
public sealed class ControllerConfigMapTests
{
    private const string ConfigNamespace = KubernetesManifests.OwnNamespace;
    private const string ConfigName = "orleans-proxy-controller";

    [Fact]
    public async Task Controller_ConfigMapCreatedChangedDeleted_EdgeFollows_AndTheSiloRbacAllowsReadingIt()
    {
        await using var web = await TestBackend.StartAsync("web");
        await using var bed = await ControllerTestBed.StartAsync();
        // Objects are put in place directly (not through the API), so only the controller's own calls are counted.
        bed.Server.Inject(new V1Service { Metadata = new() { Name = "web", NamespaceProperty = ControllerTestBed.Namespace }, Spec = new() { Ports = [new V1ServicePort { Name = "http", Port = 80 }] } });
        var slice = ControllerTestBed.Slice("web", web);
        slice.Metadata.NamespaceProperty = ControllerTestBed.Namespace;
        bed.Server.Inject(slice);
        var ingress = ControllerTestBed.Ingress("config", "config.test", paths: ("/", "web"));
        ingress.Metadata.NamespaceProperty = ControllerTestBed.Namespace;
        bed.Server.Inject(ingress);
        await bed.Edge.WaitForBackendAsync("config.test", "/", "web");
        Assert.Equal(HttpStatusCode.OK, await PostAsync(bed.Edge, "0123456789A"));

        bed.Server.Inject(ConfigMap(new() { ["proxy-body-size"] = "10", ["hsts-preload"] = "yes" }));
        await Eventually.Until(async () => await PostAsync(bed.Edge, "0123456789A") == HttpStatusCode.RequestEntityTooLarge, "the ConfigMap's proxy-body-size applies");
        Assert.Equal(HttpStatusCode.OK, await PostAsync(bed.Edge, "0123456789"));
        await Eventually.Until(async () => (await bed.Edge.DiagAsync("/diag/cluster/rejections")).EnumerateArray()
            .Any(r => r.GetProperty("object").GetString() == $"ConfigMap {ConfigNamespace}/{ConfigName}" && r.GetProperty("field").GetString() == "data[hsts-preload]"),
            "the malformed key is reported naming the ConfigMap and the key");

        bed.Server.Inject(ConfigMap(new() { ["proxy-body-size"] = "12" }));
        await Eventually.Until(async () => await PostAsync(bed.Edge, "0123456789A") == HttpStatusCode.OK, "the changed ConfigMap applies");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, await PostAsync(bed.Edge, "0123456789ABC"));

        bed.Server.Remove<V1ConfigMap>(ConfigName, ConfigNamespace);
        await Eventually.Until(async () => await PostAsync(bed.Edge, "0123456789ABC") == HttpStatusCode.OK, "without the ConfigMap the defaults are back");

        await KubernetesManifests.AssertRbacCoversAsync(KubernetesManifests.SiloServiceAccount, bed.Server);
        // The controller ConfigMap is read by name in its own namespace (the other ConfigMap reads are those custom-headers may name).
        Assert.Contains(bed.Server.ScopedRequestCounts.Keys, r => r.Key is { Resource: "configmaps", Verb: "watch" } && r.Namespace == ConfigNamespace);
    }

    private static V1ConfigMap ConfigMap(Dictionary<string, string> data) =>
        new() { Metadata = new() { Name = ConfigName, NamespaceProperty = ConfigNamespace }, Data = data };

    private static async Task<HttpStatusCode> PostAsync(TestEdge edge, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new StringContent(body) };
        request.Headers.Host = "config.test";
        using var response = await edge.Public.SendAsync(request);
        return response.StatusCode;
    }
}
