using k8s.Models;
using Orleans.Proxy.IntegrationTests.Infrastructure;
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
    }
}
