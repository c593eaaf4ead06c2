using System.Net;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Proxy.Routing;
using Orleans.Proxy.Silo.RouteSources.Kubernetes;
using Orleans.Proxy.IntegrationTests.Infrastructure;

namespace Orleans.Proxy.IntegrationTests.Kubernetes.Controller;

/// <summary>Two controllers (one per silo) elect one writer through a Lease on the fake API server.</summary>
public sealed class LeaderElectionTests
{
    private const string Ns = ControllerTestBed.Namespace;

    [Fact]
    public async Task Controller_LeaderSiloKilled_NewLeaderTakesOverAndEdgeKeepsServing()
    {
        await using var web = await TestBackend.StartAsync("web");
        await using var api = await TestBackend.StartAsync("api");
        await using var bed = await ControllerTestBed.StartAsync();
        await bed.CreateServiceAsync("web", web);
        await bed.CreateServiceAsync("api", api);
        await bed.Client.NetworkingV1.CreateNamespacedIngressAsync(ControllerTestBed.Ingress("shop", "shop.test", paths: ("/", "web")), Ns);
        await bed.Edge.WaitForBackendAsync("shop.test", "/", "web");
        var leader = await bed.LeaderAsync();
        var leaseHolder = bed.Server.Get<V1Lease>("orleans-proxy-ingress-controller", ControllerTestBed.LeaseNamespace)?.Spec.HolderIdentity;

        await bed.Cluster.Cluster.KillSiloAsync(leader);
        Assert.StartsWith("200 web ", await bed.Edge.GetBodyAsync("shop.test", "/"));
        await bed.Client.NetworkingV1.CreateNamespacedIngressAsync(ControllerTestBed.Ingress("api", "api.test", paths: ("/", "api")), Ns);

        await bed.Edge.WaitForBackendAsync("api.test", "/", "api");
        Assert.StartsWith("200 web ", await bed.Edge.GetBodyAsync("shop.test", "/"));
        var newHolder = bed.Server.Get<V1Lease>("orleans-proxy-ingress-controller", ControllerTestBed.LeaseNamespace)?.Spec.HolderIdentity;
        Assert.NotNull(leaseHolder);
        Assert.NotEqual(leaseHolder, newHolder);
    }

    [Fact]
    public async Task Controller_LeaseTakenByAnother_StopsWriting()
    {
        await using var web = await TestBackend.StartAsync("web");
        await using var bed = await ControllerTestBed.StartAsync();
        await bed.CreateServiceAsync("web", web);
        await bed.Client.NetworkingV1.CreateNamespacedIngressAsync(ControllerTestBed.Ingress("shop", "shop.test", paths: ("/", "web")), Ns);
        await bed.Edge.WaitForBackendAsync("shop.test", "/", "web");
        await bed.LeaderAsync();

        // Another controller (an older version in a rolling update, say) holds the Lease for a long time.
        var lease = bed.Server.Get<V1Lease>("orleans-proxy-ingress-controller", ControllerTestBed.LeaseNamespace)!;
        lease.Spec.HolderIdentity = "someone-else";
        lease.Spec.LeaseDurationSeconds = 3600;
        lease.Spec.RenewTime = DateTime.UtcNow;
        bed.Server.Inject(lease);
        await Eventually.Until(() => Task.FromResult(bed.Cluster.Cluster.Silos.All(s =>
            !s.SiloHost.Services.GetRequiredService<IngressController>().IsLeader)), "no silo leads");

        await bed.Client.NetworkingV1.CreateNamespacedIngressAsync(ControllerTestBed.Ingress("late", "late.test", paths: ("/", "web")), Ns);
        var catalog = bed.Cluster.Client.GetGrain<IRouteCatalogGrain>(IRouteCatalogGrain.DefaultKey);
        var generation = (await catalog.GetSnapshot()).Generation;
        await Task.Delay(TimeSpan.FromSeconds(1));

        Assert.Equal(generation, (await catalog.GetSnapshot()).Generation);
        Assert.Equal(HttpStatusCode.NotFound, (await bed.Edge.GetAsync("late.test", "/")).StatusCode);
        Assert.StartsWith("200 web ", await bed.Edge.GetBodyAsync("shop.test", "/"));
    }
}
