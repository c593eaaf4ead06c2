using k8s.Models;
using Orleans.Proxy.IntegrationTests.Infrastructure;
using Orleans.Proxy.IntegrationTests.Kubernetes.FakeApiServer;
using Orleans.Proxy.IntegrationTests.Kubernetes.Kustomize;

using Orleans.Proxy.Testing;

namespace Orleans.Proxy.IntegrationTests.Kubernetes.Controller;

public sealed class ControllerRbacTests
{
    [Fact]
    public async Task Controller_EveryApiCallItMakes_IsAllowedByTheSiloRbacInK8s()
    {
        await using var web = await TestBackend.StartAsync("web");
        await using var bed = await ControllerTestBed.StartAsync();
        // Objects are put in place directly (not through the API), so only the controller's own calls are counted.
        bed.Server.Inject(new V1Service { Metadata = new() { Name = "web", NamespaceProperty = ControllerTestBed.Namespace }, Spec = new() { Ports = [new V1ServicePort { Name = "http", Port = 80 }] } });
        var slice = ControllerTestBed.Slice("web", web);
        slice.Metadata.NamespaceProperty = ControllerTestBed.Namespace;
        bed.Server.Inject(slice);
        foreach (var ingress in new[] { ControllerTestBed.Ingress("rbac", "rbac.test", paths: ("/", "web")), ControllerTestBed.Ingress("rbac-broken", "rbac-broken.test", paths: ("/", "missing")) })
        {
            ingress.Metadata.NamespaceProperty = ControllerTestBed.Namespace;
            bed.Server.Inject(ingress);
        }

        await bed.Edge.WaitForBackendAsync("rbac.test", "/", "web");
        await Eventually.Until(() => Task.FromResult(bed.Server.List<V1Ingress>(ControllerTestBed.Namespace).All(i => i.Status?.LoadBalancer?.Ingress?.Count == 1)
            && bed.Server.List<Corev1Event>(ControllerTestBed.Namespace).Count == 1), "status and the Event are written");

        await KubernetesManifests.AssertRbacCoversAsync(KubernetesManifests.SiloServiceAccount, bed.Server);

        // Watching every namespace takes the cluster-wide shape: the namespaced one does not allow it.
        var (namespaced, _) = await KubernetesManifests.RenderAsync(ManifestShape.Namespaced);
        var uncovered = KubernetesManifests.UncoveredScoped(namespaced, KubernetesManifests.SiloServiceAccount, bed.Server.ScopedRequestCounts.Keys).ToList();
        Assert.Contains(new ApiRequest(new ApiRequestKey("list", "", "secrets"), null), uncovered);
        Assert.Contains(new ApiRequest(new ApiRequestKey("watch", "networking.k8s.io", "ingresses"), null), uncovered);
    }

    [Fact]
    public async Task Controller_LimitedToNamespaces_ReadsNothingElsewhere_AndBothRbacShapesAllowWhatItCalls()
    {
        const string watched = KubernetesManifests.NamespacedComponentWatches;
        const string own = KubernetesManifests.OwnNamespace;
        const string elsewhere = ControllerTestBed.Namespace;
        await using var web = await TestBackend.StartAsync("web");
        await using var bed = await ControllerTestBed.StartAsync(new Dictionary<string, string?>
        {
            ["IngressController:Namespaces:0"] = watched,
            ["IngressController:LeaseNamespace"] = own,
            ["IngressController:PublishService"] = $"{own}/orleans-proxy",
        });
        // The publish Service, in the controller's own namespace (not watched): its address goes to Ingress status.
        bed.Server.Inject(new V1Service
        {
            Metadata = new() { Name = "orleans-proxy", NamespaceProperty = own },
            Spec = new() { Type = "LoadBalancer", Ports = [new V1ServicePort { Name = "http", Port = 80 }] },
            Status = new() { LoadBalancer = new() { Ingress = [new V1LoadBalancerIngress { Ip = "198.51.100.7" }] } },
        });
        // The same application in a namespace the controller does not watch, first, and in the watched one.
        foreach (var ns in new[] { elsewhere, watched })
        {
            bed.Server.Inject(new V1Service { Metadata = new() { Name = "web", NamespaceProperty = ns }, Spec = new() { Ports = [new V1ServicePort { Name = "http", Port = 80 }] } });
            var slice = ControllerTestBed.Slice("web", web);
            slice.Metadata.NamespaceProperty = ns;
            bed.Server.Inject(slice);
            bed.Server.Inject(new V1Secret { Metadata = new() { Name = "tls", NamespaceProperty = ns }, Type = "kubernetes.io/tls", StringData = new Dictionary<string, string> { ["tls.crt"] = "x" } });
            foreach (var ingress in new[] { ControllerTestBed.Ingress($"app-{ns}", $"{ns}.test", paths: ("/", "web")), ControllerTestBed.Ingress($"broken-{ns}", $"broken-{ns}.test", paths: ("/", "missing")) })
            {
                ingress.Metadata.NamespaceProperty = ns;
                bed.Server.Inject(ingress);
            }
        }

        await bed.Edge.WaitForBackendAsync($"{watched}.test", "/", "web");
        await Eventually.Until(() => Task.FromResult(bed.Server.List<V1Ingress>(watched).All(i => i.Status?.LoadBalancer?.Ingress?.SingleOrDefault()?.Ip == "198.51.100.7")
            && bed.Server.List<Corev1Event>(watched).Count == 1), "status (from the publish Service) and the Event are written in the watched namespace");

        // The Ingress elsewhere is not served, nothing there was written, and nothing there (Secrets included) was read.
        using (var response = await bed.Edge.GetAsync($"{elsewhere}.test", "/"))
        {
            Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
        }

        Assert.DoesNotContain($"{elsewhere}.test", (await bed.Edge.DiagAsync("/diag/hosts")).GetProperty("hosts").EnumerateArray().Select(h => h.GetProperty("host").GetString()));
        Assert.All(bed.Server.List<V1Ingress>(elsewhere), i => Assert.Null(i.Status?.LoadBalancer?.Ingress));
        Assert.Empty(bed.Server.List<Corev1Event>(elsewhere));
        var requests = bed.Server.ScopedRequestCounts.Keys.ToList();
        Assert.DoesNotContain(requests, r => r.Namespace == elsewhere);
        Assert.DoesNotContain(requests, r => r.Namespace is null && r.Key.Resource is not ("ingressclasses" or "gatewayclasses"));
        Assert.Contains(new ApiRequest(new ApiRequestKey("list", "", "secrets"), watched), requests);
        Assert.DoesNotContain(requests, r => r.Key.Resource == "secrets" && r.Namespace != watched);
        // The one Service and the controller ConfigMap are read in the controller's own namespace, each by name, and no other kind is read there.
        Assert.All(requests.Where(r => r.Namespace == own && r.Key.Verb is "list" or "watch"), r => Assert.Contains(r.Key.Resource, new[] { "services", "configmaps" }));
        Assert.Contains(new ApiRequest(new ApiRequestKey("watch", "", "configmaps"), own), requests);

        foreach (var shape in new[] { ManifestShape.ClusterWide, ManifestShape.Namespaced })
        {
            var (objects, by) = await KubernetesManifests.RenderAsync(shape);
            var uncovered = KubernetesManifests.UncoveredScoped(objects, KubernetesManifests.SiloServiceAccount, requests).ToList();
            Assert.True(uncovered.Count == 0, $"{shape} RBAC ({by}) does not allow: {string.Join(", ", uncovered)}");
        }
    }
}
