using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Proxy.Edge.HttpRoutes;
using Orleans.Proxy.Edge.Matching;
using Orleans.Proxy.Edge.Routing;
using Orleans.Proxy.Routing;
using Orleans.Proxy.UnitTests.Routing;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Orleans.Proxy.UnitTests.HttpRoutes;

/// <summary>The HTTPRoute pipeline step: what it answers itself, and the cluster it leaves the request on.</summary>
public sealed class HttpRouteMiddlewareTests
{
    private readonly BackendStates _backends = RouteTableCacheTests.NewBackendStates();

    private static RouteSpec Route(string clusterId, HttpRouteRule rule) =>
        new("ns/web#0.0", "gw.test", "/foo", PathMatchKind.Prefix, [], [], clusterId, "HTTPRoute ns/web") { HttpRoute = rule };

    private ClusterState Cluster(string id)
    {
        _backends.Set(new ClusterConfig { ClusterId = id });
        return _backends.TryGetCluster(id, out var cluster) ? cluster : throw new InvalidOperationException(id);
    }

    private async Task<(DefaultHttpContext Context, bool Forwarded)> InvokeAsync(RouteSpec route, string path = "/foo/bar")
    {
        var config = YarpConfigBuilder.ToRoute(route);
        var clusterId = config.ClusterId ?? route.ClusterId;
        var cluster = _backends.TryGetCluster(clusterId, out var held) ? held : Cluster(clusterId);
        var context = new DefaultHttpContext();
        context.Request.Method = HttpMethods.Get;
        context.Request.Scheme = "http";
        context.Request.Host = new HostString("gw.test:8080");
        context.Request.Path = path;
        context.Request.QueryString = new QueryString("?q=1");
        context.Features.Set(new RouteMatchFeature(new CompiledRoute(route, proxyRouteId: null, new MatchingOptions()), new Endpoint(null, null, null), path, path));
        context.Features.Set<IReverseProxyFeature>(new ReverseProxyFeature
        {
            Route = new RouteModel(config, cluster, HttpTransformer.Empty),
            Cluster = cluster.Model,
            AllDestinations = [],
            AvailableDestinations = [],
        });
        var mirror = new RequestMirror(_backends, Options.Create(new HttpRoutesOptions()), TimeProvider.System, NullLogger<RequestMirror>.Instance);
        var middleware = new HttpRouteMiddleware(_backends, mirror, NullLogger<HttpRouteMiddleware>.Instance);
        var forwarded = false;
        await middleware.InvokeAsync(context, _ =>
        {
            forwarded = true;
            return Task.CompletedTask;
        });
        return (context, forwarded);
    }

    [Fact]
    public async Task InvokeAsync_Redirect_AnsweredWithLocationNotForwarded()
    {
        var redirect = new RedirectSpec("https", null, null, new PathModifier(PathModifierKind.ReplacePrefixMatch, "/"), 301);

        var (context, forwarded) = await InvokeAsync(Route("", new HttpRouteRule { Redirect = redirect }));

        Assert.False(forwarded);
        Assert.Equal(301, context.Response.StatusCode);
        Assert.Equal("https://gw.test/bar?q=1", context.Response.Headers.Location);
    }

    [Fact]
    public async Task InvokeAsync_NoValidBackend_500NotForwarded()
    {
        var (context, forwarded) = await InvokeAsync(Route("", new HttpRouteRule()));

        Assert.False(forwarded);
        Assert.Equal(500, context.Response.StatusCode);
    }

    [Fact]
    public async Task InvokeAsync_SplitToAnotherCluster_ReassignedWithItsRouteAndForwarded()
    {
        var b = Cluster("ns/b:80");

        var (context, forwarded) = await InvokeAsync(Route("ns/a:80", new HttpRouteRule { Backends = [new("ns/a:80", 0), new("ns/b:80", 1)] }));

        Assert.True(forwarded);
        Assert.Equal("ns/b:80", context.GetReverseProxyFeature().Cluster!.Config.ClusterId);
        // YARP's load balancing and passive health take the cluster from the route.
        Assert.Same(b, context.GetRouteModel().Cluster);
    }

    [Fact]
    public async Task InvokeAsync_SplitToItsOwnCluster_ForwardedUnchanged()
    {
        var (context, forwarded) = await InvokeAsync(Route("ns/a:80", new HttpRouteRule { Backends = [new("ns/a:80", 1), new("ns/b:80", 0)] }));

        Assert.True(forwarded);
        Assert.Equal("ns/a:80", context.GetReverseProxyFeature().Cluster!.Config.ClusterId);
    }

    [Theory]
    [InlineData("")]
    [InlineData("ns/unknown:80")]
    public async Task InvokeAsync_SplitToAnInvalidOrUnknownBackend_500NotForwarded(string clusterId)
    {
        var (context, forwarded) = await InvokeAsync(Route("ns/a:80", new HttpRouteRule { Backends = [new("ns/a:80", 0), new(clusterId, 1)] }));

        Assert.False(forwarded);
        Assert.Equal(500, context.Response.StatusCode);
    }
}
