using System.Collections.Immutable;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Orleans.Proxy.Edge.Matching;
using Orleans.Proxy.Edge.Routing;
using Orleans.Proxy.Routing;
using Orleans.Proxy.UnitTests.Routing;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Orleans.Proxy.UnitTests.Matching;

public sealed class RouteMatcherEndpointsTests
{
    [Fact]
    public void Match_EndpointsChanged_ServesTheNewEndpointsAndNotTheRemovedRoutes()
    {
        var (matcher, source, backends) = NewMatcher();
        var hosts = ImmutableDictionary<string, HostRoutes>.Empty.Add("a.test", Host("a.test", "a")).Add("b.test", Host("b.test", "b"));
        matcher.Apply(new RouteTable(CatalogSnapshot.Empty, hosts, ImmutableDictionary<string, BackendSpec>.Empty), hosts.Keys, MatchTableTests.OwnProxyRoutes(hosts));
        var a = Endpoint("a");
        source.Set([a, Endpoint("b")]);
        matcher.UseEndpoints(source);
        Assert.Same(Route(a).Config, Served(matcher, "a.test")?.Config);

        var a2 = Endpoint("a");
        source.Set([a2]);

        Assert.Same(Route(a2).Config, Served(matcher, "a.test")?.Config);
        Assert.Null(Served(matcher, "b.test"));

        var b = Endpoint("b");
        source.Set([a2, b]);

        Assert.Same(Route(a2).Config, Served(matcher, "a.test")?.Config);
        Assert.Same(Route(b).Config, Served(matcher, "b.test")?.Config);
    }

    [Fact]
    public void Match_RoutesSharingAYarpRoute_EachBoundToItsBackendUnservedBackendPassedOver()
    {
        var (matcher, source, backends) = NewMatcher();
        var hosts = ImmutableDictionary<string, HostRoutes>.Empty.Add("a.test", Host("a.test", "a")).Add("b.test", Host("b.test", "b", "ns/other:80"));
        matcher.Apply(new RouteTable(CatalogSnapshot.Empty, hosts, ImmutableDictionary<string, BackendSpec>.Empty), hosts.Keys, _ => ["shared"]);
        var shared = Endpoint("shared");
        source.Set([shared]);
        matcher.UseEndpoints(source);

        // YARP's pipeline reads the cluster from the endpoint's route: the backend of the route matched.
        Assert.True(backends.TryGetCluster("ns/web:80", out var web));
        Assert.Same(web, Served(matcher, "a.test")?.Cluster);
        Assert.Same(Route(shared).Transformer, Served(matcher, "a.test")?.Transformer);
        Assert.Same(matcher.Match("a.test", "/", new DefaultHttpContext().Request).Match?.Endpoint, matcher.Match("a.test", "/", new DefaultHttpContext().Request).Match?.Endpoint);
        Assert.Null(Served(matcher, "b.test"));

        backends.Set(new ClusterConfig { ClusterId = "ns/other:80" });
        Assert.True(backends.TryGetCluster("ns/other:80", out var other));
        Assert.Same(other, Served(matcher, "b.test")?.Cluster);
        Assert.Same(web, Served(matcher, "a.test")?.Cluster);
    }

    /// <summary>A matcher following a data source of YARP endpoints, with ns/web:80 served.</summary>
    private static (RouteMatcher Matcher, ChangingSource Source, BackendStates Backends) NewMatcher()
    {
        var backends = RouteTableCacheTests.NewBackendStates();
        backends.Set(new ClusterConfig { ClusterId = "ns/web:80" });
        return (new RouteMatcher(Options.Create(new MatchingOptions()), backends, NullLogger<RouteMatcher>.Instance), new ChangingSource(), backends);
    }

    private static RouteModel? Served(RouteMatcher matcher, string host) =>
        matcher.Match(host, "/", new DefaultHttpContext().Request).Match?.Endpoint.Metadata.GetMetadata<RouteModel>();

    private static RouteModel Route(Endpoint endpoint) => endpoint.Metadata.GetMetadata<RouteModel>()!;

    private static HostRoutes Host(string host, string routeId, string backend = "ns/web:80") =>
        new(host, 1, [new RouteSpec(routeId, host, "/", PathMatchKind.Prefix, [], [], backend, $"Ingress ns/{host}")]);

    /// <summary>An endpoint as YARP makes them: its route's model in its metadata.</summary>
    internal static Endpoint Endpoint(string routeId) =>
        new(_ => Task.CompletedTask, new EndpointMetadataCollection(new RouteModel(new RouteConfig { RouteId = routeId }, null, HttpTransformer.Default)), routeId);

    private sealed class ChangingSource : EndpointDataSource
    {
        private CancellationTokenSource _changed = new();
        private IReadOnlyList<Endpoint> _endpoints = [];

        public override IReadOnlyList<Endpoint> Endpoints => _endpoints;

        public override IChangeToken GetChangeToken() => new CancellationChangeToken(_changed.Token);

        public void Set(IReadOnlyList<Endpoint> endpoints)
        {
            _endpoints = endpoints;
            var previous = _changed;
            _changed = new CancellationTokenSource();
            previous.Cancel();
        }
    }
}
