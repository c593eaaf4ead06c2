using System.Net;
using k8s;
using k8s.Models;
using Orleans.Proxy.IntegrationTests.Infrastructure;
using Orleans.Proxy.Translation.GatewayApi;

namespace Orleans.Proxy.IntegrationTests.Kubernetes.Controller;

/// <summary>
/// Gateway API objects in the fake API server: what the edge serves, and the status the leader writes
/// back to the GatewayClass, the Gateway (listeners, attached routes, addresses) and each HTTPRoute parent.
/// </summary>
public sealed class GatewayApiControllerTests(SharedControllerTestBed shared) : IClassFixture<SharedControllerTestBed>
{
    private const string Ns = ControllerTestBed.Namespace;
    private const string ControllerName = "orleans-proxy.io/gateway-controller";

    [Fact]
    public async Task Controller_HttpRoute_ServedAndStatusWrittenWithObservedGeneration()
    {
        await using var v1 = await TestBackend.StartAsync("gw-v1");
        await using var v2 = await TestBackend.StartAsync("gw-v2");
        var bed = shared.Bed;
        await bed.CreateServiceAsync("gw-v1", v1);
        await bed.CreateServiceAsync("gw-v2", v2);
        bed.Server.Inject(new GatewayClass { Kind = "GatewayClass", Metadata = new() { Name = "ours" }, Spec = new() { ControllerName = ControllerName } });
        bed.Server.Inject(new GatewayClass { Kind = "GatewayClass", Metadata = new() { Name = "theirs" }, Spec = new() { ControllerName = "example.com/other" } });
        bed.Server.Inject(new Gateway
        {
            Kind = "Gateway",
            Metadata = new() { Name = "web", NamespaceProperty = Ns },
            Spec = new() { GatewayClassName = "ours", Listeners = [new Listener { Name = "http", Port = 80, Protocol = "HTTP", Hostname = "*.gw.test" }] },
        });
        bed.Server.Inject(Route("shop", "shop.gw.test", "gw-v1"));
        // Another controller's parent entry on a route must survive our writes.
        var shared2 = Route("both", "both.gw.test", "gw-v1");
        shared2.Status = new RouteStatus
        {
            Parents = [new RouteParentStatus { ControllerName = "example.com/other", ParentRef = new ParentReference { Name = "theirs" }, Conditions = [new V1Condition { Type = "Accepted", Status = "True", Reason = "Accepted", Message = "theirs", LastTransitionTime = DateTime.UnixEpoch }] }],
        };
        bed.Server.Inject(shared2);
        bed.Server.Inject(Route("broken", "broken.gw.test", "missing"));

        await bed.Edge.WaitForBackendAsync("shop.gw.test", "/", "gw-v1");
        await Eventually.Until(async () => (await bed.Edge.GetAsync("broken.gw.test", "/")).StatusCode == HttpStatusCode.InternalServerError,
            "a rule whose only backend does not exist answers 500");

        await Eventually.Until(() => Task.FromResult(Condition(bed.Server.Get<GatewayClass>("ours")?.Status?.Conditions, "Accepted") == "True:Accepted"), "the GatewayClass is accepted");
        Assert.Null(bed.Server.Get<GatewayClass>("theirs")?.Status);
        await Eventually.Until(() => Task.FromResult(bed.Server.Get<Gateway>("web", Ns)?.Status?.Listeners?.SingleOrDefault()?.AttachedRoutes == 3), "three routes attach to the listener");
        await Eventually.Until(() => Task.FromResult(new[] { "shop", "both", "broken" }.All(r => bed.Server.Get<HttpRoute>(r, Ns)?.Status?.Parents.Any(p => p.ControllerName == ControllerName) == true)),
            "every route has our parent status");
        var gateway = bed.Server.Get<Gateway>("web", Ns)!;
        Assert.Equal("True:Accepted", Condition(gateway.Status!.Conditions, "Accepted"));
        Assert.Equal("True:Programmed", Condition(gateway.Status.Conditions, "Programmed"));
        Assert.All(gateway.Status.Conditions!, c => Assert.Equal(gateway.Metadata.Generation, c.ObservedGeneration));
        Assert.Equal(ControllerTestBed.StatusAddress, gateway.Status.Addresses!.Single().Value);
        Assert.Equal("IPAddress", gateway.Status.Addresses!.Single().Type);
        Assert.Equal("True:ResolvedRefs", Condition(gateway.Status.Listeners!.Single().Conditions, "ResolvedRefs"));

        var shop = Ours(bed.Server.Get<HttpRoute>("shop", Ns));
        Assert.Equal("True:Accepted", Condition(shop.Conditions, "Accepted"));
        Assert.Equal("True:ResolvedRefs", Condition(shop.Conditions, "ResolvedRefs"));
        Assert.Equal(GatewayApiGroup.Group, shop.ParentRef.Group);
        Assert.Equal("Gateway", shop.ParentRef.Kind);
        var broken = Ours(bed.Server.Get<HttpRoute>("broken", Ns));
        Assert.Equal("True:Accepted", Condition(broken.Conditions, "Accepted"));
        Assert.Equal("False:BackendNotFound", Condition(broken.Conditions, "ResolvedRefs"));
        var both = bed.Server.Get<HttpRoute>("both", Ns)!.Status!.Parents;
        Assert.Equal(2, both.Count);
        Assert.Contains(both, p => p.ControllerName == "example.com/other" && p.Conditions.Single().Message == "theirs");

        // A spec change bumps the generation: the route moves to v2 and its conditions observe the new generation.
        var current = bed.Server.Get<HttpRoute>("shop", Ns)!;
        var moved = Route("shop", "shop.gw.test", "gw-v2");
        var patch = new V1Patch(KubernetesJson.Serialize(new { spec = moved.Spec }), V1Patch.PatchType.MergePatch);
        await bed.Client.CustomObjects.PatchNamespacedCustomObjectAsync(patch, GatewayApiGroup.Group, "v1", Ns, HttpRoute.Plural, "shop");
        await bed.Edge.WaitForBackendAsync("shop.gw.test", "/", "gw-v2");
        await Eventually.Until(() => Task.FromResult(Ours(bed.Server.Get<HttpRoute>("shop", Ns)).Conditions.All(c => c.ObservedGeneration == current.Metadata.Generation + 1)),
            "the conditions observe the new generation");

        // Unattached from our Gateway: our parent entry goes, and the host is no longer served.
        var away = new V1Patch(KubernetesJson.Serialize(new { spec = new { parentRefs = new[] { new { name = "elsewhere" } } } }), V1Patch.PatchType.MergePatch);
        await bed.Client.CustomObjects.PatchNamespacedCustomObjectAsync(away, GatewayApiGroup.Group, "v1", Ns, HttpRoute.Plural, "shop");
        await Eventually.Until(async () => (await bed.Edge.GetAsync("shop.gw.test", "/")).StatusCode == HttpStatusCode.NotFound, "the route is no longer served");
        await Eventually.Until(() => Task.FromResult(bed.Server.Get<HttpRoute>("shop", Ns)?.Status?.Parents.Count == 0), "our parent entry is removed");
    }

    private static HttpRoute Route(string name, string host, string service) => new()
    {
        Kind = HttpRoute.KindName,
        Metadata = new() { Name = name, NamespaceProperty = Ns },
        Spec = new()
        {
            ParentRefs = [new ParentReference { Name = "web" }],
            Hostnames = [host],
            Rules = [new HttpRouteRuleSpec { BackendRefs = [new HttpBackendRef { Name = service, Port = 80 }] }],
        },
    };

    private static RouteParentStatus Ours(HttpRoute? route) =>
        route?.Status?.Parents.SingleOrDefault(p => p.ControllerName == ControllerName) ?? throw new Xunit.Sdk.XunitException($"route {route?.Metadata.Name} has no status of ours");

    private static string? Condition(IList<V1Condition>? conditions, string type) =>
        conditions?.FirstOrDefault(c => c.Type == type) is { } c ? $"{c.Status}:{c.Reason}" : null;
}
