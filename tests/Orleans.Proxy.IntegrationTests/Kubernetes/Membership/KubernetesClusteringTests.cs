using k8s.Models;
using Orleans.Proxy.Silo.Membership;
using Orleans.Proxy.IntegrationTests.Infrastructure;
using Orleans.Proxy.IntegrationTests.Kubernetes.FakeApiServer;
using Orleans.Proxy.IntegrationTests.Kubernetes.Kustomize;

using Orleans.Proxy.Testing;

namespace Orleans.Proxy.IntegrationTests.Kubernetes.Membership;

/// <summary>
/// Two real silo processes cluster through the fake API server (membership ConfigMap, heartbeat Leases,
/// Orleans' Kubernetes hosting watching their pods), and an edge in Client mode finds them there;
/// as Kubernetes clustering requires, every cluster connection is mutual TLS (a CA made in the test).
/// </summary>
[Collection(SeparateProcessesCollection.Name)]
public sealed class KubernetesClusteringTests
{
    private const string Namespace = KubernetesSiloProcesses.Namespace;
    private const string ClusterId = "k8s-test";
    private const string ServiceId = "orleans-proxy";

    [Fact]
    public async Task TwoSilosAndAClientEdge_ClusterThroughTheApiServer_ServeARoute_AndADeletedPodsSiloIsDeclaredDead()
    {
        await using var server = await FakeKubernetesApiServer.StartAsync();
        await using var web = await TestBackend.StartAsync("web");
        using var routes = new TempDirectory();
        routes.Write("web.yaml", Manifests.ServiceFor("web", web) + "---\n" + Manifests.Ingress("web", "k8s.test", ("/", "Prefix", "web")));
        using var workingDirectory = new TempDirectory();
        using var ca = Security.TestCa.Create("cluster CA");
        var siloTls = Path.Combine(workingDirectory.Path, "silo-tls");
        var edgeTls = Path.Combine(workingDirectory.Path, "edge-tls");
        ca.IssueInto(siloTls, "silo", server: true);
        ca.IssueInto(edgeTls, "edge", server: false);
        var cluster = new KubernetesSiloProcesses(server, ClusterId, ServiceId);
        var pods = new[] { "silo-0", "silo-1" };
        foreach (var pod in pods)
        {
            cluster.AddPod(pod);
        }

        await using var silo0 = cluster.Start(pods[0], routes.Path, workingDirectory.Path, siloTls);
        await using var silo1 = cluster.Start(pods[1], routes.Path, workingDirectory.Path, siloTls);
        var silos = new[] { silo0, silo1 };
        await Until(() => ActiveSilos(cluster).Count == 2, "both silos are Active in the membership ConfigMap", silos);

        await using var edge = await TestEdge.StartClientAsync(new Dictionary<string, string?>
        {
            ["Cluster:Clustering"] = "Kubernetes",
            ["Cluster:ClusterId"] = ClusterId,
            ["Cluster:ServiceId"] = ServiceId,
            ["Cluster:Kubernetes:ApiServer"] = server.Url,
            ["Cluster:Kubernetes:Namespace"] = Namespace,
            ["Cluster:Tls:Directory"] = edgeTls,
        });
        await edge.WaitForBackendAsync("k8s.test", "/", "web");

        Assert.Equal(["silo-0", "silo-1"], ActiveSilos(cluster).Order());

        // Kubernetes deletes silo-1's pod (the server itself, as the kubelet would: no client request to count):
        // Orleans' Kubernetes hosting on silo-0 sees it in its watch and declares the silo dead.
        Assert.True(server.Remove<V1Pod>(pods[1], Namespace));

        await Until(() => cluster.Rows().Any(r => r.SiloName == "silo-1" && r.Status == SiloStatus.Dead), "silo-1 is declared Dead", silos);
        await edge.WaitForBackendAsync("k8s.test", "/", "web");
        // Heartbeats never compete with table writes: they patch their own Lease, never update the table.
        Assert.Equal(0, server.Count("update", ResourceKinds.Leases));

        // Whatever the silos (membership, Orleans' Kubernetes hosting) and the edge asked, k8s/ RBAC allows.
        Assert.True(server.Count("watch", ResourceKinds.Pods) > 0);
        await KubernetesManifests.AssertRbacCoversAsync(KubernetesManifests.SiloServiceAccount, server);
    }

    private static List<string?> ActiveSilos(KubernetesSiloProcesses cluster) =>
        [.. cluster.Rows().Where(r => r.Status == SiloStatus.Active).Select(r => r.SiloName)];

    private static async Task Until(Func<bool> condition, string what, HostProcess[] silos)
    {
        try
        {
            await Eventually.Until(() => Task.FromResult(condition()), what, TimeSpan.FromSeconds(45));
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\n--- silo-0 ---\n{silos[0].Output}\n--- silo-1 ---\n{silos[1].Output}", e);
        }
    }
}
