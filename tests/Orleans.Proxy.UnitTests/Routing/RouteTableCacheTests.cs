using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orleans.Proxy.Affinity;
using Orleans.Proxy.Caching;
using Orleans.Proxy.Diagnostics;
using Orleans.Proxy.Edge.Health;
using Orleans.Proxy.Edge.Hosting;
using Orleans.Proxy.Edge.HttpRoutes;
using Orleans.Proxy.Edge.Matching;
using Orleans.Proxy.Edge.Routing;
using Orleans.Proxy.RateLimiting;
using Orleans.Proxy.Routing;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Orleans.Proxy.UnitTests.Routing;

public sealed class RouteTableCacheTests
{
    private static readonly ImmutableDictionary<string, BackendSpec> Web =
        ImmutableDictionary<string, BackendSpec>.Empty.Add("ns/web:80", Backend("ns/web:80"));

    [Fact]
    public async Task ApplyAsync_OneHostChangedInALargeTable_BuildsAndValidatesOnlyThatHost()
    {
        var (cache, validator, yarp, _) = NewCache();
        var backends = Enumerable.Range(0, 500).ToImmutableDictionary(i => $"ns/h{i}:80", i => Backend($"ns/h{i}:80"), StringComparer.Ordinal);
        var hosts = Enumerable.Range(0, 500).ToImmutableDictionary(i => $"h{i}.test", i => Host($"h{i}.test", 1, $"ns/h{i}:80"), StringComparer.Ordinal);
        await cache.ApplyAsync(Table(1, hosts, backends));
        Assert.Equal(1, validator.Routes);
        Assert.Equal(500, validator.Clusters);

        // The next generation: the unchanged hosts are the same objects (CatalogSync keeps them), one is new, with a setting of its own.
        var changed = Host("h7.test", 2, "ns/h7:80", r => r with { SslRedirect = true });
        await cache.ApplyAsync(Table(2, hosts.SetItem("h7.test", changed), backends));

        Assert.Equal(2, validator.Routes);
        Assert.Equal(500, validator.Clusters);
        Assert.Equal(2, yarp.GetConfig().Routes.Count);
    }

    [Fact]
    public async Task ApplyAsync_TwoPathsWithEqualSettings_ShareOneYarpRouteEachMatchedAsItself()
    {
        var (cache, _, yarp, matcher) = NewCache();
        var host = new HostRoutes("a.test", 1, [Route("ns/a#0.0", "a.test", "/x"), Route("ns/a#0.1", "a.test", "/y", PathMatchKind.Exact)]);

        await cache.ApplyAsync(Table(1, Hosts(host), Web));

        var shared = Assert.Single(yarp.GetConfig().Routes);
        var x = Matched(matcher, "a.test", "/x/1");
        var y = Matched(matcher, "a.test", "/y");
        Assert.Equal(("ns/a#0.0", shared.RouteId), (x.RouteId, x.ProxyRouteId));
        Assert.Equal(("ns/a#0.1", shared.RouteId), (y.RouteId, y.ProxyRouteId));
        Assert.Null(shared.ClusterId);
        Assert.Equal("ns/web:80", BoundBackend(cache, matcher, "a.test", "/x"));
    }

    [Fact]
    public async Task ApplyAsync_RoutesToDifferentBackends_ShareOneYarpRouteEachRequestBoundToItsBackend()
    {
        var (cache, _, yarp, matcher) = NewCache();
        var backends = Web.Add("ns/other:80", Backend("ns/other:80"));

        await cache.ApplyAsync(Table(1, Hosts(Host("a.test", 1), Host("b.test", 1, "ns/other:80")), backends));

        var shared = Assert.Single(yarp.GetConfig().Routes);
        Assert.Equal((shared.RouteId, shared.RouteId), (Matched(matcher, "a.test", "/").ProxyRouteId, Matched(matcher, "b.test", "/").ProxyRouteId));
        Assert.Equal(("ns/web:80", "ns/other:80"), (BoundBackend(cache, matcher, "a.test", "/"), BoundBackend(cache, matcher, "b.test", "/")));
        Assert.Equal([HttpRouteFilters.NoBackendClusterId], yarp.GetConfig().Clusters.Select(c => c.ClusterId));
    }

    public static TheoryData<string> OwnSettings => new(RouteVariants.Keys);

    /// <summary>What YARP or the pipeline reads from YARP's route: routes with one of these and routes without do not share.</summary>
    private static readonly Dictionary<string, Func<RouteSpec, RouteSpec>> RouteVariants = new(StringComparer.Ordinal)
    {
        ["rate limit by route"] = r => r with { RateLimits = [new RateLimitSpec("ns/a/rate-limit", 10, RateLimitPeriod.Second, 10, RateLimitKeyKind.Route, null, [])] },
        ["HTTPRoute rewrite"] = r => r with { HttpRoute = new HttpRouteRule { Rewrite = new RewriteSpec("backend.test", new PathModifier(PathModifierKind.ReplaceFullPath, "/z")) } },
        ["upstream-vhost"] = r => r with { Nginx = new NginxRouteSpec { UpstreamHost = "backend.test" } },
        ["body-size limit"] = r => r with { MaxRequestBodySize = 1024 },
        ["cache"] = r => r with { Cache = new CacheSpec(TimeSpan.FromMinutes(1), [], null, [], null) },
    };

    [Theory]
    [MemberData(nameof(OwnSettings))]
    public async Task ApplyAsync_PathsWithDifferentSettings_DoNotShare(string setting)
    {
        var (cache, _, yarp, matcher) = NewCache();
        var host = new HostRoutes("a.test", 1, [Route("ns/a#0.0", "a.test", "/x"), RouteVariants[setting](Route("ns/a#0.1", "a.test", "/y"))]);

        await cache.ApplyAsync(Table(1, Hosts(host), Web.Add("ns/other:80", Backend("ns/other:80"))));

        Assert.Equal(2, yarp.GetConfig().Routes.Count);
        Assert.NotEqual(Matched(matcher, "a.test", "/x").ProxyRouteId, Matched(matcher, "a.test", "/y").ProxyRouteId);
    }

    [Fact]
    public async Task ApplyAsync_PathsDifferingInAffinityRewriteTargetOrHost_ShareOneYarpRoute()
    {
        var (cache, _, yarp, matcher) = NewCache();
        var a = new HostRoutes("a.test", 1,
        [
            Route("ns/a#0.0", "a.test", "/x"),
            Route("ns/a#0.1", "a.test", "/y") with { Affinity = new AffinitySpec(AffinityMode.Cookie, "route", AffinitySpec.DefaultTtl) },
            Route("ns/a#0.2", "a.test", "/z") with { PathRegex = "/z/(.*)", RewriteTarget = "/$1" },
        ]);
        var b = new HostRoutes("b.test", 1, [Route("ns/b#0.0", "b.test", "/x")]);

        await cache.ApplyAsync(Table(1, Hosts(a, b), Web));

        var shared = Assert.Single(yarp.GetConfig().Routes);
        Assert.All(new[] { ("a.test", "/x"), ("a.test", "/y"), ("a.test", "/z/1"), ("b.test", "/x") },
            request => Assert.Equal(shared.RouteId, Matched(matcher, request.Item1, request.Item2).ProxyRouteId));
        Assert.NotNull(Matched(matcher, "a.test", "/y").Spec.Affinity);
    }

    [Fact]
    public async Task ApplyAsync_PathOnlyChange_YarpNotUpdatedMatcherServesIt()
    {
        var (cache, _, yarp, matcher) = NewCache();
        var hosts = Hosts(A(1));
        await cache.ApplyAsync(Table(1, hosts, Web));
        var served = yarp.GetConfig();

        // A path added, then one moved to another host: the behaviour and the backend are served already.
        await cache.ApplyAsync(Table(2, hosts.SetItem("a.test", new HostRoutes("a.test", 2, [.. A(2).Routes, Route("ns/a#0.1", "a.test", "/v/1")])), Web));
        await cache.ApplyAsync(Table(3, hosts.Add("b.test", new HostRoutes("b.test", 1, [Route("ns/a#0.1", "b.test", "/v/1")])), Web));

        Assert.Same(served, yarp.GetConfig());
        Assert.False(served.ChangeToken.HasChanged);
        Assert.Null(matcher.Table.Match("a.test", "/v/1", new DefaultHttpContext().Request));
        Assert.Equal(served.Routes.Single().RouteId, Matched(matcher, "b.test", "/v/1").ProxyRouteId);
    }

    [Fact]
    public async Task ApplyAsync_EndpointsChange_KeptDestinationKeepsItsStateYarpNotUpdated()
    {
        var (cache, _, yarp, matcher) = NewCache();
        await cache.ApplyAsync(Table(1, Hosts(A(1)), Web.SetItem("ns/web:80", WebWith(1, "http://127.0.0.2:1"))));
        var served = yarp.GetConfig();
        var kept = State(cache).Destinations["http://127.0.0.2:1"];

        await cache.ApplyAsync(Table(2, Hosts(A(1)), Web.SetItem("ns/web:80", WebWith(2, "http://127.0.0.2:1", "http://127.0.0.3:1"))));

        Assert.Same(served, yarp.GetConfig());
        Assert.False(served.ChangeToken.HasChanged);
        var state = State(cache);
        Assert.Equal(["http://127.0.0.2:1", "http://127.0.0.3:1"], state.DestinationsState.AvailableDestinations.Select(d => d.DestinationId).Order(StringComparer.Ordinal));
        Assert.Same(kept, state.Destinations["http://127.0.0.2:1"]);
    }

    [Fact]
    public async Task ApplyAsync_BackendSettingChange_NewStateWithTheKeptDestinationsYarpNotUpdated()
    {
        var (cache, _, yarp, matcher) = NewCache();
        await cache.ApplyAsync(Table(1, Hosts(A(1)), Web.SetItem("ns/web:80", WebWith(1, "http://127.0.0.2:1"))));
        var served = yarp.GetConfig();
        var before = State(cache);

        await cache.ApplyAsync(Table(2, Hosts(A(1)), Web.SetItem("ns/web:80", WebWith(2, "http://127.0.0.2:1") with { ActivityTimeout = TimeSpan.FromSeconds(7) })));

        Assert.Same(served, yarp.GetConfig());
        var after = State(cache);
        Assert.NotSame(before, after);
        Assert.Equal(TimeSpan.FromSeconds(7), after.Model.Config.HttpRequest?.ActivityTimeout);
        Assert.Same(before.Destinations["http://127.0.0.2:1"], after.Destinations["http://127.0.0.2:1"]);
    }

    [Fact]
    public async Task ApplyAsync_ServicesAddedAndRemoved_ServedWithoutAYarpUpdateTheRemovedOneGone()
    {
        var (cache, _, yarp, matcher) = NewCache();
        ImmutableDictionary<string, BackendSpec> Only(string id) => ImmutableDictionary<string, BackendSpec>.Empty.Add(id, Backend(id));
        await cache.ApplyAsync(Table(1, Hosts(Host("a.test", 1, "ns/s1:80")), Only("ns/s1:80")));
        var served = yarp.GetConfig();

        await cache.ApplyAsync(Table(2, Hosts(Host("a.test", 2, "ns/s2:80")), Only("ns/s2:80")));
        await cache.ApplyAsync(Table(3, Hosts(Host("a.test", 3, "ns/s3:80"), Host("b.test", 1, "ns/s1:80")), Only("ns/s3:80").Add("ns/s1:80", Backend("ns/s1:80"))));

        Assert.Same(served, yarp.GetConfig());
        Assert.Equal(("ns/s3:80", "ns/s1:80"), (BoundBackend(cache, matcher, "a.test", "/"), BoundBackend(cache, matcher, "b.test", "/")));
        Assert.False(cache.Backends.TryGet("ns/s2:80", out _));
    }

    private static BackendSpec WebWith(long version, params string[] addresses) =>
        new("ns/web:80", version, [.. addresses.Select(a => new DestinationSpec(a, a))]);

    [Fact]
    public async Task ApplyAsync_SettingsChange_YarpUpdated()
    {
        var (cache, _, yarp, matcher) = NewCache();
        var hosts = Hosts(A(1));
        await cache.ApplyAsync(Table(1, hosts, Web));
        var served = yarp.GetConfig();

        await cache.ApplyAsync(Table(2, hosts.SetItem("a.test", A(2, r => r with { SslRedirect = true })), Web));

        Assert.True(served.ChangeToken.HasChanged);
        var now = Matched(matcher, "a.test", "/x").ProxyRouteId;
        Assert.Contains(yarp.GetConfig().Routes, r => r.RouteId == now && r.Metadata is not null);
    }

    [Fact]
    public async Task ApplyAsync_LastRouteOfABehaviourGone_KeptUntilTheUpdateAfterTheMatcherMovedOn()
    {
        var (cache, _, yarp, matcher) = NewCache();
        var hosts = Hosts(A(1));
        await cache.ApplyAsync(Table(1, hosts, Web));
        var first = yarp.GetConfig().Routes.Single().RouteId;

        // The route's settings change: YARP gets the new route while keeping the old one, which the
        // matcher serves until it applies the new table.
        await cache.ApplyAsync(Table(2, hosts.SetItem("a.test", A(2, r => r with { SslRedirect = true })), Web));
        var second = Matched(matcher, "a.test", "/x").ProxyRouteId;
        Assert.Equal([first, second], yarp.GetConfig().Routes.Select(r => r.RouteId).Order(StringComparer.Ordinal));

        // The next update leaves it out.
        await cache.ApplyAsync(Table(3, hosts.SetItem("a.test", A(3, r => r with { AppRoot = "/app" })), Web));
        Assert.DoesNotContain(first, yarp.GetConfig().Routes.Select(r => r.RouteId));
        Assert.Contains(second, yarp.GetConfig().Routes.Select(r => r.RouteId));
    }

    [Fact]
    public async Task ApplyAsync_BehaviourReleasedThenUsedAgain_SameYarpRouteNoUpdate()
    {
        var (cache, validator, yarp, matcher) = NewCache();
        var hosts = Hosts(A(1));
        await cache.ApplyAsync(Table(1, hosts, Web));
        var served = yarp.GetConfig();

        await cache.ApplyAsync(Table(2, hosts.Clear(), Web));
        await cache.ApplyAsync(Table(3, hosts.Add("b.test", new HostRoutes("b.test", 1, [Route("ns/b#0.0", "b.test", "/x")])), Web));

        Assert.Same(served, yarp.GetConfig());
        Assert.Equal(1, validator.Routes);
        Assert.Equal(served.Routes.Single().RouteId, Matched(matcher, "b.test", "/x").ProxyRouteId);
    }

    [Fact]
    public async Task ApplyAsync_HostRemovedOrBackendMissing_RouteNoLongerServed()
    {
        var (cache, _, _, matcher) = NewCache();
        var hosts = Hosts(Host("a.test", 1), Host("b.test", 1));
        await cache.ApplyAsync(Table(1, hosts, Web));

        await cache.ApplyAsync(Table(2, hosts.Remove("a.test"), Web));
        Assert.Null(matcher.Table.Match("a.test", "/", new DefaultHttpContext().Request));
        Assert.Equal("ns/b.test#0.0", Matched(matcher, "b.test", "/").RouteId);

        // Its backend gone, b.test's route is passed over.
        await cache.ApplyAsync(Table(3, hosts.Remove("a.test"), Web.Clear()));
        Assert.Null(matcher.Match("b.test", "/", new DefaultHttpContext().Request).Match);
        Assert.Equal(0, cache.Backends.Count);
    }

    [Fact]
    public async Task ApplyAsync_HttpRouteWithoutValidBackend_ServedOnTheNoBackendCluster()
    {
        var (cache, _, yarp, _) = NewCache();
        var route = new RouteSpec("ns/gw#0.0", "gw.test", "/", PathMatchKind.Prefix, [], [], "", "HTTPRoute ns/gw")
        {
            HttpRoute = new HttpRouteRule { Redirect = new RedirectSpec("https", null, null, null, 301) },
        };
        var hosts = Hosts(new HostRoutes("gw.test", 1, [route]));

        await cache.ApplyAsync(Table(1, hosts, ImmutableDictionary<string, BackendSpec>.Empty));

        Assert.Equal([HttpRouteFilters.NoBackendClusterId], yarp.GetConfig().Routes.Select(r => r.ClusterId));
        Assert.Equal([HttpRouteFilters.NoBackendClusterId], yarp.GetConfig().Clusters.Select(c => c.ClusterId));

        // Gone from YARP with the first update after the matcher stopped naming it.
        await cache.ApplyAsync(Table(2, hosts.Clear(), ImmutableDictionary<string, BackendSpec>.Empty));
        await cache.ApplyAsync(Table(3, Hosts(A(1)), Web));
        Assert.Equal([null], yarp.GetConfig().Routes.Select(r => r.ClusterId));
    }

    [Fact]
    public async Task ApplyAsync_HostChangedBackAndForth_EachBehaviourValidatedOnce()
    {
        var (cache, validator, yarp, _) = NewCache();
        var hosts = Hosts(Host("a.test", 1), Host("b.test", 1));
        await cache.ApplyAsync(Table(1, hosts, Web));
        var shared = yarp.GetConfig().Routes.Single();

        await cache.ApplyAsync(Table(2, hosts.SetItem("a.test", Host("a.test", 2)), Web));
        await cache.ApplyAsync(Table(3, hosts.Remove("a.test"), Web));

        Assert.Equal(1, validator.Routes);
        Assert.Same(shared, yarp.GetConfig().Routes.Single());
    }

    [Fact]
    public async Task ApplyAsync_SettingsYarpRefuses_ThatRouteLeftOutUnderItsOwnIdOthersServed()
    {
        var (cache, validator, yarp, matcher) = NewCache();
        validator.Refuse = route => route.Metadata is not null;
        var host = new HostRoutes("a.test", 1, [Route("ns/a#0.0", "a.test", "/x"), Route("ns/a#0.1", "a.test", "/y") with { SslRedirect = true }]);

        await cache.ApplyAsync(Table(1, Hosts(host), Web));

        Assert.Equal(["route ns/a#0.1"], cache.InvalidRoutes.Keys);
        Assert.Single(yarp.GetConfig().Routes);
        Assert.Null(Matched(matcher, "a.test", "/y").ProxyRouteId);
        Assert.NotNull(Matched(matcher, "a.test", "/x").ProxyRouteId);
    }

    [Fact]
    public async Task ApplyAsync_YarpUpdateThrows_TableKeptAndTheSameChangeAppliedNextTime()
    {
        var (cache, _, yarp, matcher) = NewCache();
        await cache.ApplyAsync(Table(1, Hosts(A(1)), Web));
        var before = Matched(matcher, "a.test", "/x").ProxyRouteId;
        // A path and a setting of its own, so YARP must take a new route; its update fails once.
        var changed = A(2, r => r with { Path = "/y", MaxRequestBodySize = 1024 });
        yarp.GetConfig().ChangeToken.RegisterChangeCallback(_ => throw new InvalidOperationException("refused"), null);

        await Assert.ThrowsAnyAsync<Exception>(() => cache.ApplyAsync(Table(2, Hosts(changed), Web)));
        Assert.Equal(1, cache.Current.Catalog.Generation);
        Assert.Equal(before, Matched(matcher, "a.test", "/x").ProxyRouteId);

        // The same host values again (the grain's value has not changed since).
        await cache.ApplyAsync(Table(3, Hosts(changed), Web));

        var served = Matched(matcher, "a.test", "/y");
        Assert.Equal(3, cache.Current.Catalog.Generation);
        Assert.NotEqual(before, served.ProxyRouteId);
        Assert.Contains(yarp.GetConfig().Routes, r => r.RouteId == served.ProxyRouteId);
        Assert.Null(matcher.Table.Match("a.test", "/x", new DefaultHttpContext().Request));
    }

    [Fact]
    public async Task ApplyAsync_ChangedKeysGiven_OnlyThoseLookedAtRemovedOnesDropped()
    {
        var (cache, validator, yarp, matcher) = NewCache();
        var b = Host("b.test", 1);
        await cache.ApplyAsync(Table(1, Hosts(A(1), b), Web));
        var routes = validator.Routes;

        await cache.ApplyAsync(Table(2, Hosts(A(2, r => r with { Path = "/z" })), Web), ["a.test", "b.test"], []);

        Assert.Equal(routes, validator.Routes);
        Assert.NotNull(Matched(matcher, "a.test", "/z").ProxyRouteId);
        Assert.Null(matcher.Table.Match("b.test", "/", new DefaultHttpContext().Request));
        Assert.Single(yarp.GetConfig().Routes);
    }

    /// <summary>a.test with one route, ns/a#0.0 on /x, changed by <paramref name="change"/>.</summary>
    private static HostRoutes A(long version, Func<RouteSpec, RouteSpec>? change = null)
    {
        var route = Route("ns/a#0.0", "a.test", "/x");
        return new HostRoutes("a.test", version, [change is null ? route : change(route)]);
    }

    private static ImmutableDictionary<string, HostRoutes> Hosts(params HostRoutes[] hosts) =>
        hosts.ToImmutableDictionary(h => h.Host, StringComparer.Ordinal);

    private static CompiledRoute Matched(RouteMatcher matcher, string host, string path) =>
        matcher.Table.Match(host, path, new DefaultHttpContext().Request) ?? throw new InvalidOperationException($"{host}{path}: no route");

    private static RouteTable Table(long generation, ImmutableDictionary<string, HostRoutes> hosts, ImmutableDictionary<string, BackendSpec> backends) =>
        new(CatalogSnapshot.Empty with { Generation = generation }, hosts, backends);

    private static BackendSpec Backend(string clusterId) => new(clusterId, 1, [new DestinationSpec("d", "http://127.0.0.1:1")]);

    private static RouteSpec Route(string id, string host, string path, PathMatchKind kind = PathMatchKind.Prefix) =>
        new(id, host, path, kind, [], [], "ns/web:80", "Ingress ns/a");

    private static HostRoutes Host(string host, long version, string clusterId = "ns/web:80", Func<RouteSpec, RouteSpec>? change = null)
    {
        var route = new RouteSpec($"ns/{host}#0.0", host, "/", PathMatchKind.Prefix, [], [], clusterId, $"Ingress ns/{host}");
        return new(host, version, [change is null ? route : change(route)]);
    }

    internal static (RouteTableCache Cache, CountingValidator Validator, InMemoryConfigProvider Yarp, RouteMatcher Matcher) NewCache()
    {
        var yarp = new InMemoryConfigProvider([], []);
        var validator = new CountingValidator();
        var options = Options.Create(new EdgeOptions { Id = "edge-under-test" });
        var backends = NewBackendStates();
        var matcher = new RouteMatcher(Options.Create(new MatchingOptions()), backends, NullLogger<RouteMatcher>.Instance);
        var cache = new RouteTableCache(yarp, matcher, new ConfigValidationCache(validator), backends,
            new FakeTimeProvider(), new ProxyMetrics(new NoMeters()), new EdgeIdentity(options), NullLogger<RouteTableCache>.Instance);
        return (cache, validator, yarp, matcher);
    }

    /// <summary>Backend states with YARP's destination updater and client factory, and the edge's verdict policy.</summary>
    internal static BackendStates NewBackendStates()
    {
        var services = new ServiceCollection().AddLogging().AddSingleton(TimeProvider.System).AddSingleton<BackendStates>().AddSingleton<BackendHealthCache>()
            .AddSingleton<IAvailableDestinationsPolicy, VerdictDestinationsPolicy>();
        services.AddReverseProxy();
        return services.BuildServiceProvider().GetRequiredService<BackendStates>();
    }

    /// <summary>The backend the request's route names, when it is served.</summary>
    private static string? BoundBackend(RouteTableCache cache, RouteMatcher matcher, string host, string path) =>
        cache.Backends.TryGet(Matched(matcher, host, path).Spec.ClusterId, out var backend) ? backend.Cluster.ClusterId : null;

    private static ClusterState State(RouteTableCache cache) =>
        cache.Backends.TryGetCluster("ns/web:80", out var cluster) ? cluster : throw new InvalidOperationException("ns/web:80 is not served");

    internal sealed class CountingValidator : IConfigValidator
    {
        public int Routes { get; private set; }

        public int Clusters { get; private set; }

        /// <summary>Routes refused, with an error.</summary>
        public Func<RouteConfig, bool> Refuse { get; set; } = _ => false;

        public ValueTask<IList<Exception>> ValidateRouteAsync(RouteConfig route)
        {
            Routes++;
            return ValueTask.FromResult<IList<Exception>>(Refuse(route) ? [new InvalidOperationException("refused")] : []);
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
