using k8s;
using k8s.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Proxy.Hosting;
using Orleans.Proxy.Silo.Hosting;
using Orleans.Proxy.Silo.RouteSources.Kubernetes;
using Orleans.Proxy.IntegrationTests.Infrastructure;
using Orleans.Proxy.IntegrationTests.Kubernetes.FakeApiServer;
using Orleans.TestingHost;

namespace Orleans.Proxy.IntegrationTests.Kubernetes.Controller;

/// <summary>
/// The fake API server, a two-silo cluster whose silos both run the ingress controller (one leads),
/// and an edge connected to the cluster: the production path from Kubernetes objects to requests.
/// </summary>
internal sealed class ControllerTestBed : IAsyncDisposable
{
    public const string Namespace = "shop";
    public const string ClassName = "orleans-proxy";
    public const string StatusAddress = "203.0.113.10";
    public const string LeaseNamespace = "proxy-system";

    private ControllerTestBed(FakeKubernetesApiServer server, ProxyTestCluster cluster, TestEdge edge)
    {
        Server = server;
        Cluster = cluster;
        Edge = edge;
        Client = server.CreateClient();
    }

    public FakeKubernetesApiServer Server { get; }

    public ProxyTestCluster Cluster { get; }

    public TestEdge Edge { get; }

    public IKubernetes Client { get; }

    /// <param name="settings">Silo settings over the bed's (e.g. IngressController:Namespaces).</param>
    /// <param name="edgeSettings">Settings of the edge (e.g. Edge:HttpsPort).</param>
    public static async Task<ControllerTestBed> StartAsync(IDictionary<string, string?>? settings = null, IDictionary<string, string?>? edgeSettings = null)
    {
        var server = await FakeKubernetesApiServer.StartAsync();
        server.Inject(new V1IngressClass { Metadata = new() { Name = ClassName }, Spec = new() { Controller = "orleans-proxy.io/ingress-controller" } });
        var identity = 0;
        var cluster = await ProxyTestCluster.StartAsync(silos: 2, services =>
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Routes:Source"] = "Kubernetes",
                ["Routes:ResyncInterval"] = "00:00:05",
                ["IngressController:ApiServerUrl"] = server.Url,
                ["IngressController:Identity"] = $"silo-{Interlocked.Increment(ref identity)}",
                ["IngressController:LeaseNamespace"] = LeaseNamespace,
                ["IngressController:LeaseDuration"] = "00:00:02",
                ["IngressController:RenewDeadline"] = "00:00:01.500",
                ["IngressController:RetryPeriod"] = "00:00:00.200",
                ["IngressController:Debounce"] = "00:00:00.020",
                ["IngressController:StatusAddresses"] = StatusAddress,
            }).AddInMemoryCollection(settings ?? new Dictionary<string, string?>()).Build();
            services.AddRouteSources(configuration);
        });
        var edge = await cluster.StartEdgeAsync(edgeSettings);
        return new ControllerTestBed(server, cluster, edge);
    }

    /// <summary>The silo whose controller holds the Lease, once one does.</summary>
    public async Task<InProcessSiloHandle> LeaderAsync()
    {
        InProcessSiloHandle? leader = null;
        await Eventually.Until(() =>
        {
            leader = Cluster.Cluster.Silos.FirstOrDefault(s => s.SiloHost.Services.GetRequiredService<IngressController>().IsLeader);
            return Task.FromResult(leader is not null);
        }, "a controller leads");
        return leader!;
    }

    /// <summary>A Service with port 80 ("http") and one EndpointSlice listing the backends (each on its own port: one slice per backend).</summary>
    public async Task CreateServiceAsync(string name, params TestBackend[] backends)
    {
        await Client.CoreV1.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new() { Name = name },
            Spec = new() { Ports = [new V1ServicePort { Name = "http", Port = 80 }] },
        }, Namespace);
        foreach (var backend in backends)
        {
            await Client.DiscoveryV1.CreateNamespacedEndpointSliceAsync(Slice(name, backend), Namespace);
        }
    }

    public static V1EndpointSlice Slice(string service, TestBackend backend, bool ready = true) => new()
    {
        Metadata = new() { Name = $"{service}-{backend.Port}", Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = service } },
        AddressType = "IPv4",
        Ports = [new Discoveryv1EndpointPort { Name = "http", Port = backend.Port }],
        Endpoints = [new V1Endpoint { Addresses = ["127.0.0.1"], Conditions = new() { Ready = ready } }],
    };

    public static V1Ingress Ingress(string name, string host, string? className = ClassName, params (string Path, string Service)[] paths) => new()
    {
        Metadata = new() { Name = name },
        Spec = new()
        {
            IngressClassName = className,
            Rules =
            [
                new V1IngressRule
                {
                    Host = host,
                    Http = new V1HTTPIngressRuleValue
                    {
                        Paths = [.. paths.Select(p => new V1HTTPIngressPath
                        {
                            Path = p.Path,
                            PathType = "Prefix",
                            Backend = new V1IngressBackend { Service = new V1IngressServiceBackend { Name = p.Service, Port = new V1ServiceBackendPort { Number = 80 } } },
                        })],
                    },
                },
            ],
        },
    };

    public async ValueTask DisposeAsync()
    {
        await Cluster.DisposeAsync();
        await Server.DisposeAsync();
        Client.Dispose();
    }
}

/// <summary>One bed for a test class whose tests do not disturb each other.</summary>
public sealed class SharedControllerTestBed : IAsyncLifetime
{
    internal ControllerTestBed Bed { get; private set; } = null!;

    public async Task InitializeAsync() => Bed = await ControllerTestBed.StartAsync();

    public async Task DisposeAsync() => await Bed.DisposeAsync();
}
