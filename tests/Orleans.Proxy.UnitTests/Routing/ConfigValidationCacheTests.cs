using Orleans.Proxy.Edge.Routing;
using Yarp.ReverseProxy.Configuration;

namespace Orleans.Proxy.UnitTests.Routing;

public sealed class ConfigValidationCacheTests
{
    [Fact]
    public async Task ValidateRouteAsync_SameObjectAgain_ValidatedOnce()
    {
        var validator = new RouteTableCacheTests.CountingValidator();
        var cache = new ConfigValidationCache(validator);
        var route = new RouteConfig { RouteId = "r", ClusterId = "c", Match = new RouteMatch { Path = "/{**catch-all}" } };

        Assert.Empty(await cache.ValidateRouteAsync(route));
        Assert.Empty(await cache.ValidateRouteAsync(route));

        Assert.Equal(1, validator.Routes);
    }

    [Fact]
    public async Task ValidateRouteAsync_EqualButNewObject_ValidatedAgain()
    {
        var validator = new RouteTableCacheTests.CountingValidator();
        var cache = new ConfigValidationCache(validator);
        var route = new RouteConfig { RouteId = "r", ClusterId = "c", Match = new RouteMatch { Path = "/{**catch-all}" } };

        await cache.ValidateRouteAsync(route);
        await cache.ValidateRouteAsync(route with { });

        Assert.Equal(2, validator.Routes);
    }

    [Fact]
    public async Task ValidateClusterAsync_Forgotten_ValidatedAgain()
    {
        var validator = new RouteTableCacheTests.CountingValidator();
        var cache = new ConfigValidationCache(validator);
        var cluster = new ClusterConfig { ClusterId = "c" };

        await cache.ValidateClusterAsync(cluster);
        cache.Forget(cluster);
        await cache.ValidateClusterAsync(cluster);

        Assert.Equal(2, validator.Clusters);
    }

    [Fact]
    public async Task ValidateRouteAsync_Refused_NotRemembered()
    {
        var cache = new ConfigValidationCache(new RefusingValidator());
        var route = new RouteConfig { RouteId = "r" };

        Assert.Single(await cache.ValidateRouteAsync(route));
        Assert.Single(await cache.ValidateRouteAsync(route));
    }

    private sealed class RefusingValidator : IConfigValidator
    {
        public ValueTask<IList<Exception>> ValidateRouteAsync(RouteConfig route) => ValueTask.FromResult<IList<Exception>>([new ArgumentException("no")]);

        public ValueTask<IList<Exception>> ValidateClusterAsync(ClusterConfig cluster) => ValueTask.FromResult<IList<Exception>>([new ArgumentException("no")]);
    }
}
