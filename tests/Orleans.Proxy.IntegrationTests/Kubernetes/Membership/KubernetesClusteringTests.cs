using k8s.Models;
using Orleans.Hosting.Kubernetes;
using Orleans.Proxy.Hosting.Kubernetes;
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
    private const string Namespace = "orleans";
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
        var pods = new[] { "silo-0", "silo-1" };
        foreach (var pod in pods)
        {
            server.Inject(Pod(pod));
        }

        await using var silo0 = StartSilo(server, pods[0], routes.Path, workingDirectory.Path, siloTls);
        await using var silo1 = StartSilo(server, pods[1], routes.Path, workingDirectory.Path, siloTls);
        var silos = new[] { silo0, silo1 };
        await Until(() => ActiveSilos(server).Count == 2, "both silos are Active in the membership ConfigMap", silos);

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

        Assert.Equal(["silo-0", "silo-1"], ActiveSilos(server).Order());

        // Kubernetes deletes silo-1's pod (the server itself, as the kubelet would: no client request to count):
        // Orleans' Kubernetes hosting on silo-0 sees it in its watch and declares the silo dead.
        Assert.True(server.Remove<V1Pod>(pods[1], Namespace));

        await Until(() => Rows(server).Any(r => r.SiloName == "silo-1" && r.Status == SiloStatus.Dead), "silo-1 is declared Dead", silos);
        await edge.WaitForBackendAsync("k8s.test", "/", "web");
        // Heartbeats never compete with table writes: they patch their own Lease, never update the table.
        Assert.Equal(0, server.Count("update", ResourceKinds.Leases));

        // Whatever the silos (membership, Orleans' Kubernetes hosting) and the edge asked, k8s/ RBAC allows.
        Assert.True(server.Count("watch", ResourceKinds.Pods) > 0);
        await KubernetesManifests.AssertRbacCoversAsync(KubernetesManifests.SiloServiceAccount, server);
    }

    // A process of its own is the only way to give each silo its own POD_NAME and POD_IP, which
    // Orleans' Kubernetes hosting reads from the environment.
    private static HostProcess StartSilo(FakeKubernetesApiServer server, string pod, string routes, string workingDirectory, string tls) =>
        HostProcess.Start(Path.Combine(AppContext.BaseDirectory, "Orleans.Proxy.Silo.dll"), workingDirectory, new Dictionary<string, string>
        {
            [KubernetesHostingOptions.PodNameEnvironmentVariable] = pod,
            [KubernetesHostingOptions.PodNamespaceEnvironmentVariable] = Namespace,
            [KubernetesHostingOptions.PodIPEnvironmentVariable] = "127.0.0.1",
            ["Cluster__Clustering"] = "Kubernetes",
            ["Cluster__ClusterId"] = ClusterId,
            ["Cluster__ServiceId"] = ServiceId,
            ["Cluster__SiloPort"] = $"{FreePorts.Next()}",
            ["Cluster__GatewayPort"] = $"{FreePorts.Next()}",
            ["Cluster__Kubernetes__ApiServer"] = server.Url,
            ["Cluster__Tls__Directory"] = tls,
            ["Routes__Directory"] = routes,
            ["Routes__FileDebounce"] = "00:00:00.020",
            ["Diagnostics__Address"] = "127.0.0.1",
            ["Diagnostics__Port"] = "0",
            ["Diagnostics__Token"] = "silo-test-token",
            ["Logging__LogLevel__Orleans"] = "Warning",
        });

    private static V1Pod Pod(string name) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = Namespace,
            Labels = new Dictionary<string, string>
            {
                [KubernetesHostingOptions.ServiceIdLabel] = ServiceId,
                [KubernetesHostingOptions.ClusterIdLabel] = ClusterId,
            },
        },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "silo", Image = "orleans-proxy-silo" }] },
        Status = new V1PodStatus { Phase = "Running", PodIP = "127.0.0.1" },
    };

    private static List<MemberRow> Rows(FakeKubernetesApiServer server) =>
        server.Get<V1ConfigMap>(MembershipNames.Table(ClusterId), Namespace) is { } table
            ? MembershipDocument.Parse(table.Data[MembershipDocument.DataKey]).Members
            : [];

    private static List<string?> ActiveSilos(FakeKubernetesApiServer server) =>
        [.. Rows(server).Where(r => r.Status == SiloStatus.Active).Select(r => r.SiloName)];

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
