using System.Collections.Immutable;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Orleans.Proxy.Edge.Matching;
using Orleans.Proxy.Edge.Routing;
using Orleans.Proxy.Routing;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Orleans.Proxy.UnitTests.Matching;

public sealed class RouteMatcherEndpointsTests
{
    [Fact]
    public void Match_EndpointsChanged_ServesTheNewEndpointsAndNotTheRemovedRoutes()
    {
        var source = new ChangingSource();
        var matcher = new RouteMatcher(Options.Create(new MatchingOptions()), NullLogger<RouteMatcher>.Instance);
        var hosts = ImmutableDictionary<string, HostRoutes>.Empty.Add("a.test", Host("a.test", "a")).Add("b.test", Host("b.test", "b"));
        matcher.Apply(new RouteTable(CatalogSnapshot.Empty, hosts, ImmutableDictionary<string, BackendSpec>.Empty), hosts.Keys, MatchTableTests.OwnProxyRoutes(hosts));
        var a = Endpoint("a");
        source.Set([a, Endpoint("b")]);
        matcher.UseEndpoints(source);
        Assert.Same(a, Served(matcher, "a.test"));

        var a2 = Endpoint("a");
        source.Set([a2]);

        Assert.Same(a2, Served(matcher, "a.test"));
        Assert.Null(Served(matcher, "b.test"));

        var b = Endpoint("b");
        source.Set([a2, b]);

        Assert.Same(a2, Served(matcher, "a.test"));
        Assert.Same(b, Served(matcher, "b.test"));
    }

    private static Endpoint? Served(RouteMatcher matcher, string host) =>
        matcher.Match(host, "/", new DefaultHttpContext().Request).Match?.Endpoint;

    private static HostRoutes Host(string host, string routeId) =>
        new(host, 1, [new RouteSpec(routeId, host, "/", PathMatchKind.Prefix, [], [], "ns/web:80", $"Ingress ns/{host}")]);

    private static Endpoint Endpoint(string routeId) =>
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
