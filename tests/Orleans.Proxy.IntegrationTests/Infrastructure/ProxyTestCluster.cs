using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Proxy.Routing;
using Orleans.Proxy.Translation.Annotations;
using Orleans.Proxy.Translation.Ingress;
using Orleans.Proxy.Silo.Publishing;
using Orleans.TestingHost;

namespace Orleans.Proxy.IntegrationTests.Infrastructure;

/// <summary>
/// An Orleans InProcessTestCluster running the proxy's grains, a route publisher writing to it
/// from inside a silo (as the silo's route source does) and any number of edges connected
/// through its client (a cluster client, as a real edge is).
/// </summary>
internal sealed class ProxyTestCluster : IAsyncDisposable
{
    private readonly List<TestEdge> _edges = [];

    private ProxyTestCluster(InProcessTestCluster cluster)
    {
        Cluster = cluster;
        SiloGrains = LiveSiloGrains.For(cluster);
        Publisher = new RoutePublisher(SiloGrains, TimeProvider.System, NullLogger<RoutePublisher>.Instance);
    }

    public InProcessTestCluster Cluster { get; }

    /// <summary>A cluster client, as an edge calls the grains.</summary>
    public IClusterClient Client => Cluster.Client;

    /// <summary>Calls from inside a live silo, as the route source makes them.</summary>
    public IGrainFactory SiloGrains { get; }

    /// <summary>The same writer the silo's route sources use.</summary>
    public RoutePublisher Publisher { get; }

    public static async Task<ProxyTestCluster> StartAsync(int silos = 2, Action<IServiceCollection>? configureSiloServices = null)
    {
        var builder = new InProcessTestClusterBuilder((short)silos);
        builder.ConfigureSiloHost((_, host) =>
        {
            host.Services.AddOrleansProxyGrainServices();
            host.Services.AddBackendProbes();
            configureSiloServices?.Invoke(host.Services);
        });

        var cluster = builder.Build();
        await cluster.DeployAsync();
        return new ProxyTestCluster(cluster);
    }

    public async Task<TestEdge> StartEdgeAsync(IDictionary<string, string?>? settings = null)
    {
        var edge = await TestEdge.StartWithClientAsync(Client, settings);
        _edges.Add(edge);
        return edge;
    }

    /// <summary>Converts manifests (YAML) and publishes them, as the file source would.</summary>
    public Task PublishAsync(string yaml, bool rewriteAll = false)
    {
        var read = Translation.Files.KubernetesYamlReader.Read("test.yaml", yaml);
        Assert.Empty(read.Rejections);
        return Publisher.PublishAsync(IngressConverter.Convert(read.Objects), rewriteAll, CancellationToken.None);
    }

    /// <summary>The silo that holds (or will hold) the activation of <paramref name="grain"/>.</summary>
    public async Task<InProcessSiloHandle> SiloHostingAsync(IAddressable grain)
    {
        var address = await Client.GetGrain<IManagementGrain>(0).GetActivationAddress(grain);
        return Cluster.Silos.Single(s => s.SiloAddress.Equals(address));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var edge in _edges)
        {
            await edge.DisposeAsync();
        }

        await Cluster.DisposeAsync();
    }
}
