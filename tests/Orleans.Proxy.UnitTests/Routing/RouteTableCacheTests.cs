using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orleans.Proxy.Diagnostics;
using Orleans.Proxy.Edge.Hosting;
using Orleans.Proxy.Edge.HttpRoutes;
using Orleans.Proxy.Edge.Matching;
using Orleans.Proxy.Edge.Routing;
using Orleans.Proxy.Routing;
using Yarp.ReverseProxy.Configuration;

namespace Orleans.Proxy.UnitTests.Routing;

public sealed class RouteTableCacheTests
{
    [Fact]
    public async Task ApplyAsync_OneHostChangedInALargeTable_BuildsAndValidatesOnlyThatHost()
    {
        var (cache, validator, yarp) = NewCache();
        var backends = ImmutableDictionary<string, BackendSpec>.Empty.Add("ns/web:80", new BackendSpec("ns/web:80", 1, [new DestinationSpec("d", "http://127.0.0.1:1")]));
        var hosts = Enumerable.Range(0, 500).ToImmutableDictionary(i => $"h{i}.test", i => Host($"h{i}.test", 1), StringComparer.Ordinal);
        await cache.ApplyAsync(new RouteTable(CatalogSnapshot.Empty with { Generation = 1 }, hosts, backends));
        Assert.Equal(500, validator.Routes);
        Assert.Equal(1, validator.Clusters);

        // The next generation: the unchanged hosts are the same objects (CatalogSync keeps them), one is new.
        await cache.ApplyAsync(new RouteTable(CatalogSnapshot.Empty with { Generation = 2 }, hosts.SetItem("h7.test", Host("h7.test", 2)), backends));

        Assert.Equal(501, validator.Routes);
        Assert.Equal(1, validator.Clusters);
        Assert.Equal(500, yarp.GetConfig().Routes.Count);
    }

    [Fact]
    public async Task ApplyAsync_HostRemovedOrBackendMissing_RouteNoLongerServed()
    {
        var (cache, _, yarp) = NewCache();
        var backends = ImmutableDictionary<string, BackendSpec>.Empty.Add("ns/web:80", new BackendSpec("ns/web:80", 1, [new DestinationSpec("d", "http://127.0.0.1:1")]));
        var hosts = ImmutableDictionary<string, HostRoutes>.Empty.Add("a.test", Host("a.test", 1)).Add("b.test", Host("b.test", 1));
        await cache.ApplyAsync(new RouteTable(CatalogSnapshot.Empty with { Generation = 1 }, hosts, backends));

        await cache.ApplyAsync(new RouteTable(CatalogSnapshot.Empty with { Generation = 2 }, hosts.Remove("a.test"), backends));
        Assert.Equal(["ns/b.test#0.0"], yarp.GetConfig().Routes.Select(r => r.RouteId));

        await cache.ApplyAsync(new RouteTable(CatalogSnapshot.Empty with { Generation = 3 }, hosts.Remove("a.test"), backends.Clear()));
        Assert.Empty(yarp.GetConfig().Routes);
    }

    [Fact]
    public async Task ApplyAsync_HttpRouteWithoutValidBackend_ServedOnTheNoBackendCluster()
    {
        var (cache, _, yarp) = NewCache();
        var route = new RouteSpec("ns/gw#0.0", "gw.test", "/", PathMatchKind.Prefix, [], [], "", "HTTPRoute ns/gw")
        {
            HttpRoute = new HttpRouteRule { Redirect = new RedirectSpec("https", null, null, null, 301) },
        };
        var hosts = ImmutableDictionary<string, HostRoutes>.Empty.Add("gw.test", new HostRoutes("gw.test", 1, [route]));

        await cache.ApplyAsync(new RouteTable(CatalogSnapshot.Empty with { Generation = 1 }, hosts, ImmutableDictionary<string, BackendSpec>.Empty));

        Assert.Equal([HttpRouteFilters.NoBackendClusterId], yarp.GetConfig().Routes.Select(r => r.ClusterId));
        Assert.Equal([HttpRouteFilters.NoBackendClusterId], yarp.GetConfig().Clusters.Select(c => c.ClusterId));

        await cache.ApplyAsync(new RouteTable(CatalogSnapshot.Empty with { Generation = 2 }, hosts.Clear(), ImmutableDictionary<string, BackendSpec>.Empty));
        Assert.Empty(yarp.GetConfig().Clusters);
    }

    [Fact]
    public async Task ApplyAsync_HostChangedBackAndForth_ValidatesEachNewConfigOnce()
    {
        var (cache, validator, yarp) = NewCache();
        var backends = ImmutableDictionary<string, BackendSpec>.Empty.Add("ns/web:80", new BackendSpec("ns/web:80", 1, [new DestinationSpec("d", "http://127.0.0.1:1")]));
        var hosts = ImmutableDictionary<string, HostRoutes>.Empty.Add("a.test", Host("a.test", 1)).Add("b.test", Host("b.test", 1));
        await cache.ApplyAsync(new RouteTable(CatalogSnapshot.Empty with { Generation = 1 }, hosts, backends));
        var b = yarp.GetConfig().Routes.Single(r => r.RouteId == "ns/b.test#0.0");

        await cache.ApplyAsync(new RouteTable(CatalogSnapshot.Empty with { Generation = 2 }, hosts.SetItem("a.test", Host("a.test", 2)), backends));
        await cache.ApplyAsync(new RouteTable(CatalogSnapshot.Empty with { Generation = 3 }, hosts.Remove("a.test"), backends));

        Assert.Equal(3, validator.Routes);
        Assert.Same(b, yarp.GetConfig().Routes.Single());
    }

    private static HostRoutes Host(string host, long version) =>
        new(host, version, [new RouteSpec($"ns/{host}#0.0", host, "/", PathMatchKind.Prefix, [], [], "ns/web:80", $"Ingress ns/{host}")]);

    private static (RouteTableCache Cache, CountingValidator Validator, InMemoryConfigProvider Yarp) NewCache()
    {
        var yarp = new InMemoryConfigProvider([], []);
        var validator = new CountingValidator();
        var options = Options.Create(new EdgeOptions { Id = "edge-under-test" });
        var matcher = new RouteMatcher(Options.Create(new MatchingOptions()), NullLogger<RouteMatcher>.Instance);
        var cache = new RouteTableCache(yarp, matcher, new ConfigValidationCache(validator), new FakeTimeProvider(), new ProxyMetrics(new NoMeters()), new EdgeIdentity(options), NullLogger<RouteTableCache>.Instance);
        return (cache, validator, yarp);
    }

    internal sealed class CountingValidator : IConfigValidator
    {
        public int Routes { get; private set; }

        public int Clusters { get; private set; }

        public ValueTask<IList<Exception>> ValidateRouteAsync(RouteConfig route)
        {
            Routes++;
            return ValueTask.FromResult<IList<Exception>>([]);
        }

        public ValueTask<IList<Exception>> ValidateClusterAsync(ClusterConfig cluster)
        {
            Clusters++;
            return ValueTask.FromResult<IList<Exception>>([]);
        }
    }

    private sealed class NoMeters : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose() => _meters.ForEach(m => m.Dispose());
    }
}
