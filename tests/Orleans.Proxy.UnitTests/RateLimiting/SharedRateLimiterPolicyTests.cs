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

        var keys = new[] { x, y, x }.Select(route => policy.GetPartition(Request(route, endpoint)).PartitionKey.Key).ToList();

        Assert.Equal(IRateLimitGrain.Key(ByRoute, "ns/web#0.0"), keys[0]);
        Assert.Equal(IRateLimitGrain.Key(ByRoute, "ns/web#0.1"), keys[1]);
        Assert.Equal(keys[0], keys[2]);
    }

    [Fact]
    public void GetPartition_TwoPoliciesAndTheirWhitelists_OnePartitionPerPolicyThatApplies()
    {
        var perClient = new RateLimitSpec("ns/web/limit-rps", 5, RateLimitPeriod.Second, 5, RateLimitKeyKind.ClientIp, null, ["10.0.0.0/8"]);
        var perKey = new RateLimitSpec("ns/web/limit-rpm", 60, RateLimitPeriod.Minute, 60, RateLimitKeyKind.Header, "X-Api-Key", ["127.0.0.0/8"]);
        var route = Route("ns/web#0.0", "/") with { RateLimits = [perClient, perKey] };
        var endpoint = new Endpoint(null, new EndpointMetadataCollection(new RouteModel(YarpConfigBuilder.ToRoute(route), null, HttpTransformer.Default)), "web");
        var policy = new SharedRateLimiterPolicy(new FakeRateLimitCluster(new FakeTimeProvider()).Edge("edge-a"), new ClientIpResolver(Options.Create(new RateLimitingOptions())));

        RateLimitPartitionKey KeyFor(string client)
        {
            var request = Request(route, endpoint);
            request.Connection.RemoteIpAddress = IPAddress.Parse(client);
            request.Request.Headers["X-Api-Key"] = "k1";
            return policy.GetPartition(request).PartitionKey;
        }

        var both = KeyFor("192.0.2.7");
        Assert.Equal([perClient.PolicyId, perKey.PolicyId], both.Policies.Select(p => p.Spec.PolicyId));
        Assert.Equal(["192.0.2.7", "k1"], both.Partitions);
        Assert.Equal($"{IRateLimitGrain.Key(perClient, "192.0.2.7")}\n{IRateLimitGrain.Key(perKey, "k1")}", both.Key);

        // The loopback client is exempt from the per-key limit only: the per-client one alone applies.
        var loopback = KeyFor("127.0.0.1");
        Assert.Equal([perClient.PolicyId], loopback.Policies.Select(p => p.Spec.PolicyId));
        Assert.Equal(IRateLimitGrain.Key(perClient, "127.0.0.1"), loopback.Key);

        var inside = KeyFor("10.1.2.3");
        Assert.Equal([perKey.PolicyId], inside.Policies.Select(p => p.Spec.PolicyId));
        Assert.Equal(IRateLimitGrain.Key(perKey, "k1"), inside.Key);
        Assert.Equal(KeyFor("10.9.9.9"), inside);
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
