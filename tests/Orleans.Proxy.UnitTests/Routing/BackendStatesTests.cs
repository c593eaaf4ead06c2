using Orleans.Proxy.Edge.Routing;
using Orleans.Proxy.UnitTests.Matching;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Model;

namespace Orleans.Proxy.UnitTests.Routing;

/// <summary>The edge's own state of each backend: destinations kept across changes, clients shared, endpoints bound.</summary>
public sealed class BackendStatesTests
{
    private readonly BackendStates _backends = RouteTableCacheTests.NewBackendStates();

    private static ClusterConfig Backend(string id, params string[] addresses) => new()
    {
        ClusterId = id,
        Destinations = addresses.ToDictionary(a => a, a => new DestinationConfig { Address = a }, StringComparer.Ordinal),
    };

    private ClusterState State(string id) => _backends.TryGetCluster(id, out var cluster) ? cluster : throw new InvalidOperationException(id);

    [Fact]
    public void Set_AddressOfADestinationChanged_ThatOneIsNewTheOthersKeepTheirState()
    {
        _backends.Set(Backend("ns/web:80", "http://127.0.0.2:1", "http://127.0.0.3:1"));
        var kept = State("ns/web:80").Destinations["http://127.0.0.2:1"];
        kept.Health.Passive = DestinationHealth.Unhealthy;

        _backends.Set(Backend("ns/web:80", "http://127.0.0.2:1") with
        {
            Destinations = new Dictionary<string, DestinationConfig>(StringComparer.Ordinal)
            {
                ["http://127.0.0.2:1"] = new() { Address = "http://127.0.0.2:1" },
                ["http://127.0.0.3:1"] = new() { Address = "http://127.0.0.4:1" },
            },
        });

        var state = State("ns/web:80");
        Assert.Same(kept, state.Destinations["http://127.0.0.2:1"]);
        Assert.Equal("http://127.0.0.4:1", state.Destinations["http://127.0.0.3:1"].Model.Config.Address);
        Assert.Equal(2, state.DestinationsState.AllDestinations.Count);
    }

    [Fact]
    public void Set_BackendsWithEqualClientSettings_ShareOneClientOthersHaveTheirOwn()
    {
        _backends.Set(Backend("ns/a:80", "http://127.0.0.2:1"));
        _backends.Set(Backend("ns/b:80", "http://127.0.0.3:1"));
        _backends.Set(Backend("ns/tls:443", "https://127.0.0.4:1") with { HttpClient = new HttpClientConfig { DangerousAcceptAnyServerCertificate = true } });

        Assert.Same(State("ns/a:80").Model.HttpClient, State("ns/b:80").Model.HttpClient);
        Assert.NotSame(State("ns/a:80").Model.HttpClient, State("ns/tls:443").Model.HttpClient);
    }

    [Fact]
    public void Remove_Backend_NoLongerFoundByName()
    {
        _backends.Set(Backend("ns/web:80", "http://127.0.0.2:1"));

        _backends.Remove("ns/web:80");

        Assert.False(_backends.TryGetCluster("ns/web:80", out _));
        Assert.Equal(0, _backends.Count);
    }

    [Fact]
    public void EndpointFor_SameRouteEndpoint_OneBoundCopyNamingTheBackendANewOneWhenYarpReplacesIt()
    {
        _backends.Set(Backend("ns/web:80", "http://127.0.0.2:1"));
        Assert.True(_backends.TryGet("ns/web:80", out var backend));
        var route = RouteMatcherEndpointsTests.Endpoint("r#1");

        var bound = backend.EndpointFor("r#1", route);

        Assert.Same(bound, backend.EndpointFor("r#1", route));
        var model = bound.Metadata.GetMetadata<RouteModel>()!;
        Assert.Same(backend.Cluster, model.Cluster);
        Assert.Same(route.Metadata.GetMetadata<RouteModel>()!.Config, model.Config);
        Assert.Same(route.RequestDelegate, bound.RequestDelegate);
        Assert.NotSame(bound, backend.EndpointFor("r#1", RouteMatcherEndpointsTests.Endpoint("r#1")));
    }
}
