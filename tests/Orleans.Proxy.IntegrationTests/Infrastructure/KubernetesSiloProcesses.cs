using k8s.Models;
using Orleans.Hosting.Kubernetes;
using Orleans.Proxy.Hosting.Kubernetes;
using Orleans.Proxy.IntegrationTests.Kubernetes.FakeApiServer;

namespace Orleans.Proxy.IntegrationTests.Infrastructure;

/// <summary>
/// Silo processes that cluster through the fake API server as pods do (membership ConfigMap, heartbeat
/// Leases, Orleans' Kubernetes hosting watching their pods). A process of its own is the only way to give
/// each silo its own POD_NAME and POD_IP, which Orleans' Kubernetes hosting reads from the environment.
/// </summary>
internal sealed class KubernetesSiloProcesses(FakeKubernetesApiServer server, string clusterId, string serviceId = "orleans-proxy")
{
    public const string Namespace = "orleans";

    public string ClusterId => clusterId;

    public string ServiceId => serviceId;

    /// <summary>The pod a silo runs as, in the API server, so Orleans' Kubernetes hosting finds it.</summary>
    public void AddPod(string name) => server.Inject(new V1Pod
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = Namespace,
            Labels = new Dictionary<string, string>
            {
                [KubernetesHostingOptions.ServiceIdLabel] = serviceId,
                [KubernetesHostingOptions.ClusterIdLabel] = clusterId,
            },
        },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "silo", Image = "orleans-proxy-silo" }] },
        Status = new V1PodStatus { Phase = "Running", PodIP = "127.0.0.1" },
    });

    /// <param name="ports">The silo and gateway ports; fixed ones let a killed silo come back on the same address.</param>
    public HostProcess Start(string pod, string routes, string workingDirectory, string tls, (int Silo, int Gateway)? ports = null, IReadOnlyDictionary<string, string>? settings = null)
    {
        var environment = new Dictionary<string, string>
        {
            [KubernetesHostingOptions.PodNameEnvironmentVariable] = pod,
            [KubernetesHostingOptions.PodNamespaceEnvironmentVariable] = Namespace,
            [KubernetesHostingOptions.PodIPEnvironmentVariable] = "127.0.0.1",
            ["Cluster__Clustering"] = "Kubernetes",
            ["Cluster__ClusterId"] = clusterId,
            ["Cluster__ServiceId"] = serviceId,
            ["Cluster__SiloPort"] = $"{ports?.Silo ?? FreePorts.Next()}",
            ["Cluster__GatewayPort"] = $"{ports?.Gateway ?? FreePorts.Next()}",
            ["Cluster__Kubernetes__ApiServer"] = server.Url,
            ["Cluster__Tls__Directory"] = tls,
            ["Routes__Directory"] = routes,
            ["Routes__FileDebounce"] = "00:00:00.020",
            ["Diagnostics__Address"] = "127.0.0.1",
            ["Diagnostics__Port"] = "0",
            ["Diagnostics__Token"] = "silo-test-token",
            ["Logging__LogLevel__Orleans"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        return HostProcess.Start(Path.Combine(AppContext.BaseDirectory, "Orleans.Proxy.Silo.dll"), workingDirectory, environment);
    }

    /// <summary>The membership table's rows, as the silos wrote them.</summary>
    public List<MemberRow> Rows() =>
        server.Get<V1ConfigMap>(MembershipNames.Table(clusterId), Namespace) is { } table
            ? MembershipDocument.Parse(table.Data[MembershipDocument.DataKey]).Members
            : [];
}
