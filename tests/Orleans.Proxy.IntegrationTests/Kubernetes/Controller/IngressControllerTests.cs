using System.Net;
using k8s;
using k8s.Models;
using Orleans.Proxy.IntegrationTests.Infrastructure;
using Orleans.Proxy.IntegrationTests.Kubernetes.FakeApiServer;
using Orleans.Proxy.Translation.Ingress.LastGood;

namespace Orleans.Proxy.IntegrationTests.Kubernetes.Controller;

/// <summary>
/// The ingress controller against the fake API server, writing to a real two-silo cluster that a real
/// edge serves from. The tests share one bed (each uses its own hosts and Services).
/// </summary>
public sealed class IngressControllerTests(SharedControllerTestBed shared) : IClassFixture<SharedControllerTestBed>
{
    private const string Ns = ControllerTestBed.Namespace;

    [Fact]
    public async Task Controller_IngressCreateUpdateDelete_ReachesEdgeAndOtherClassesAreIgnored()
    {
        await using var web = await TestBackend.StartAsync("web");
        await using var api = await TestBackend.StartAsync("api");
        var bed = shared.Bed;
        await bed.CreateServiceAsync("crud-web", web);
        await bed.CreateServiceAsync("crud-api", api);

        await bed.Client.NetworkingV1.CreateNamespacedIngressAsync(ControllerTestBed.Ingress("crud", "crud.test", paths: ("/", "crud-web")), Ns);
        await bed.Client.NetworkingV1.CreateNamespacedIngressAsync(ControllerTestBed.Ingress("crud-theirs", "crud-theirs.test", className: "nginx", paths: ("/", "crud-web")), Ns);
        await bed.Edge.WaitForBackendAsync("crud.test", "/", "web");

        var ingress = await bed.Client.NetworkingV1.ReadNamespacedIngressAsync("crud", Ns);
        ingress.Spec.Rules[0].Http.Paths.Add(ControllerTestBed.Ingress("x", "x", paths: ("/api", "crud-api")).Spec.Rules[0].Http.Paths[0]);
        await bed.Client.NetworkingV1.ReplaceNamespacedIngressAsync(ingress, "crud", Ns);
        await bed.Edge.WaitForBackendAsync("crud.test", "/api/orders", "api");

        await bed.Client.NetworkingV1.DeleteNamespacedIngressAsync("crud", Ns);
        await Eventually.Until(async () => (await bed.Edge.GetAsync("crud.test", "/")).StatusCode == HttpStatusCode.NotFound, "the deleted Ingress is no longer served");
        Assert.Equal(HttpStatusCode.NotFound, (await bed.Edge.GetAsync("crud-theirs.test", "/")).StatusCode);
    }

    [Fact]
    public async Task Controller_CustomHeadersConfigMap_ReadAndItsChangesApplied()
    {
        await using var web = await TestBackend.StartAsync("web");
        var bed = shared.Bed;
        await bed.CreateServiceAsync("headers-web", web);
        var configMap = new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = "headers-response", NamespaceProperty = Ns },
            Data = new Dictionary<string, string> { ["X-Frame-Options"] = "DENY" },
        };
        await bed.Client.CoreV1.CreateNamespacedConfigMapAsync(configMap, Ns);
        var ingress = ControllerTestBed.Ingress("headers", "headers.test", paths: ("/", "headers-web"));
        ingress.Metadata.Annotations = new Dictionary<string, string> { ["nginx.ingress.kubernetes.io/custom-headers"] = "headers-response" };
        await bed.Client.NetworkingV1.CreateNamespacedIngressAsync(ingress, Ns);

        await Eventually.Until(async () => await FrameOptionsAsync(bed) == "DENY", "the ConfigMap's header is sent");
        configMap.Data["X-Frame-Options"] = "SAMEORIGIN";
        await bed.Client.CoreV1.ReplaceNamespacedConfigMapAsync(configMap, "headers-response", Ns);
        await Eventually.Until(async () => await FrameOptionsAsync(bed) == "SAMEORIGIN", "the changed ConfigMap's header is sent");

        static async Task<string?> FrameOptionsAsync(ControllerTestBed bed)
        {
            using var response = await bed.Edge.GetAsync("headers.test", "/");
            return response.Headers.TryGetValues("X-Frame-Options", out var values) ? values.Single() : null;
        }
    }

    [Fact]
    public async Task Controller_EndpointSliceChanges_MoveTraffic()
    {
        await using var one = await TestBackend.StartAsync("one");
        await using var two = await TestBackend.StartAsync("two");
        var bed = shared.Bed;
        await bed.CreateServiceAsync("slices-web", one);
        await bed.Client.NetworkingV1.CreateNamespacedIngressAsync(ControllerTestBed.Ingress("slices", "slices.test", paths: ("/", "slices-web")), Ns);
        await bed.Edge.WaitForBackendAsync("slices.test", "/", "one");

        // A new ready endpoint, then the old one goes unready: traffic ends up on the new one only.
        await bed.Client.DiscoveryV1.CreateNamespacedEndpointSliceAsync(ControllerTestBed.Slice("slices-web", two), Ns);
        await bed.Edge.WaitForBackendAsync("slices.test", "/", "two");
        await bed.Client.DiscoveryV1.ReplaceNamespacedEndpointSliceAsync(
            Versioned(ControllerTestBed.Slice("slices-web", one, ready: false), await bed.Client.DiscoveryV1.ReadNamespacedEndpointSliceAsync($"slices-web-{one.Port}", Ns)),
            $"slices-web-{one.Port}", Ns);
        await Eventually.Until(async () =>
        {
            var before = one.Requests;
            for (var i = 0; i < 4; i++)
            {
                await bed.Edge.GetBodyAsync("slices.test", "/");
            }

            return one.Requests == before;
        }, "no request reaches the unready endpoint");
        Assert.StartsWith("200 two ", await bed.Edge.GetBodyAsync("slices.test", "/"));
    }

    [Fact]
    public async Task Controller_ServedAndRejectedIngresses_GetStatusAndEvents()
    {
        await using var web = await TestBackend.StartAsync("web");
        var bed = shared.Bed;
        await bed.CreateServiceAsync("status-web", web);
        await bed.Client.NetworkingV1.CreateNamespacedIngressAsync(ControllerTestBed.Ingress("status", "status.test", paths: ("/", "status-web")), Ns);
        var broken = ControllerTestBed.Ingress("broken", "status-broken.test", paths: ("/", "missing"));
        broken.Metadata.Annotations = new Dictionary<string, string> { ["nginx.ingress.kubernetes.io/server-snippet"] = "return 200;" };
        await bed.Client.NetworkingV1.CreateNamespacedIngressAsync(broken, Ns);
        await bed.Edge.WaitForBackendAsync("status.test", "/", "web");

        await Eventually.Until(() => Task.FromResult(
            bed.Server.Get<V1Ingress>("status", Ns)?.Status?.LoadBalancer?.Ingress?.SingleOrDefault()?.Ip == ControllerTestBed.StatusAddress),
            "the served Ingress's status.loadBalancer names the address");
        await Eventually.Until(() => Task.FromResult(bed.Server.List<Corev1Event>(Ns).Count(e => e.InvolvedObject.Name == "broken") == 2),
            "the rejected Ingress has an Event per rejection");

        var events = bed.Server.List<Corev1Event>(Ns).Where(e => e.InvolvedObject.Name == "broken").ToList();
        Assert.All(events, e => Assert.Equal(("Warning", "Rejected", "Ingress"), (e.Type, e.Reason, e.InvolvedObject.Kind)));
        Assert.Contains(events, e => e.Message.Contains("Service 'shop/missing' does not exist", StringComparison.Ordinal));
        Assert.Contains(events, e => e.Message.Contains("server-snippet", StringComparison.Ordinal));
        Assert.DoesNotContain(bed.Server.List<Corev1Event>(Ns), e => e.InvolvedObject.Name == "status");
    }

    [Fact]
    public async Task Controller_EditRefusedWhole_PreviousVersionServesWithEventUntilDeleted()
    {
        await using var web = await TestBackend.StartAsync("lastgood-web");
        var bed = shared.Bed;
        await bed.CreateServiceAsync("lastgood-web", web);
        await bed.Client.NetworkingV1.CreateNamespacedIngressAsync(ControllerTestBed.Ingress("lastgood", "lastgood.test", paths: ("/v1", "lastgood-web")), Ns);
        await bed.Edge.WaitForBackendAsync("lastgood.test", "/v1", "lastgood-web");

        // A match annotation that does not parse refuses the whole new version.
        var ingress = await bed.Client.NetworkingV1.ReadNamespacedIngressAsync("lastgood", Ns);
        ingress.Metadata.Annotations = new Dictionary<string, string> { ["orleans-proxy.io/match-headers"] = "=broken" };
        ingress.Spec.Rules[0].Http.Paths[0].Path = "/v2";
        await bed.Client.NetworkingV1.ReplaceNamespacedIngressAsync(ingress, "lastgood", Ns);
        await Eventually.Until(() => Task.FromResult(bed.Server.List<Corev1Event>(Ns).Any(e => e.InvolvedObject.Name == "lastgood"
            && e.Message.Contains(LastGoodVersions.ServingPreviousVersion, StringComparison.Ordinal))), "an Event says the previous version serves");

        Assert.StartsWith("200 lastgood-web lastgood.test /v1", await bed.Edge.GetBodyAsync("lastgood.test", "/v1"));
        Assert.Equal(HttpStatusCode.NotFound, (await bed.Edge.GetAsync("lastgood.test", "/v2")).StatusCode);
        Assert.Contains(bed.Server.List<Corev1Event>(Ns), e => e.InvolvedObject.Name == "lastgood" && e.Message.Contains("match-headers", StringComparison.Ordinal));

        await bed.Client.NetworkingV1.DeleteNamespacedIngressAsync("lastgood", Ns);
        await Eventually.Until(async () => (await bed.Edge.GetAsync("lastgood.test", "/v1")).StatusCode == HttpStatusCode.NotFound, "the deleted Ingress is no longer served");
    }

    [Fact]
    public async Task Controller_WatchBrokenOrGone_RecoversAndMissesNothing()
    {
        await using var web = await TestBackend.StartAsync("watch-web");
        var bed = shared.Bed;
        await bed.CreateServiceAsync("watch-web", web);
        await bed.Client.NetworkingV1.CreateNamespacedIngressAsync(ControllerTestBed.Ingress("watch-first", "watch-first.test", paths: ("/", "watch-web")), Ns);
        await bed.Edge.WaitForBackendAsync("watch-first.test", "/", "watch-web");

        // A broken stream: the informers watch again from their last resourceVersion.
        bed.Server.BreakWatches();
        await bed.Client.NetworkingV1.CreateNamespacedIngressAsync(ControllerTestBed.Ingress("watch-second", "watch-second.test", paths: ("/", "watch-web")), Ns);
        await bed.Edge.WaitForBackendAsync("watch-second.test", "/", "watch-web");

        // History compacted past what the Ingress informer saw, then the streams break: its resumed watch gets 410 and it relists.
        await bed.Client.NetworkingV1.DeleteNamespacedIngressAsync("watch-first", Ns);
        await bed.Client.CoreV1.CreateNamespacedServiceAsync(new V1Service { Metadata = new() { Name = "watch-filler" }, Spec = new() { Ports = [new V1ServicePort { Port = 80 }] } }, Ns);
        await Eventually.Until(async () => (await bed.Edge.GetAsync("watch-first.test", "/")).StatusCode == HttpStatusCode.NotFound, "the deleted Ingress is gone");
        bed.Server.Compact();
        var listsBefore = bed.Server.Count("list", ResourceKinds.Ingresses);
        bed.Server.BreakWatches();
        await bed.Client.NetworkingV1.CreateNamespacedIngressAsync(ControllerTestBed.Ingress("watch-third", "watch-third.test", paths: ("/", "watch-web")), Ns);
        await bed.Edge.WaitForBackendAsync("watch-third.test", "/", "watch-web");
        Assert.True(bed.Server.Count("list", ResourceKinds.Ingresses) > listsBefore, "the Ingress informer relisted after 410");
        Assert.StartsWith("200 watch-web ", await bed.Edge.GetBodyAsync("watch-second.test", "/"));
    }

    private static V1EndpointSlice Versioned(V1EndpointSlice slice, V1EndpointSlice current)
    {
        slice.Metadata.ResourceVersion = current.Metadata.ResourceVersion;
        return slice;
    }
}
