using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orleans.Proxy.Edge.Hosting;
using Orleans.Proxy.Edge.Matching;
using Orleans.Proxy.Edge.RateLimiting;
using Orleans.Proxy.Edge.Routing;
using Orleans.Proxy.RateLimiting;
using Orleans.Proxy.Routing;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Orleans.Proxy.UnitTests.RateLimiting;

/// <summary>The partition of a request, when routes share one YARP route.</summary>
public sealed class SharedRateLimiterPolicyTests
{
    private static readonly RateLimitSpec ByRoute = new("ns/web/rate-limit", 10, RateLimitPeriod.Second, 10, RateLimitKeyKind.Route, null, []);

    private static RouteSpec Route(string id, string path) =>
        new(id, "a.test", path, PathMatchKind.Prefix, [], [], "ns/web:80", "Ingress ns/web") { RateLimits = [ByRoute] };

    [Fact]
    public void GetPartition_LimitKeyedByRouteOnTwoRoutesOfOneYarpRoute_ABucketPerRoute()
    {
        var x = Route("ns/web#0.0", "/x");
        var y = Route("ns/web#0.1", "/y");
        // Equal settings: one YARP route, one endpoint, for both.
        var endpoint = new Endpoint(null, new EndpointMetadataCollection(new RouteModel(YarpConfigBuilder.ToRoute(x) with { RouteId = "ns/web:80#1" }, null, HttpTransformer.Default)), "shared");
        var policy = new SharedRateLimiterPolicy(new FakeRateLimitCluster(new FakeTimeProvider()).Edge("edge-a"), new ClientIpResolver(Options.Create(new RateLimitingOptions())));

        var keys = new[] { x, y, x }.Select(route => policy.GetPartition(Request(route, endpoint)).PartitionKey).ToList();

        Assert.Equal(IRateLimitGrain.Key(ByRoute, "ns/web#0.0"), keys[0]);
        Assert.Equal(IRateLimitGrain.Key(ByRoute, "ns/web#0.1"), keys[1]);
        Assert.Equal(keys[0], keys[2]);
    }

    private static DefaultHttpContext Request(RouteSpec route, Endpoint endpoint)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Loopback;
        context.Features.Set(new RouteMatchFeature(new CompiledRoute(route, "ns/web:80#1", new MatchingOptions()), endpoint, route.Path, route.Path));
        context.SetEndpoint(endpoint);
        return context;
    }
}
