using System.Collections.Immutable;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Proxy.Edge.Hosting;
using Orleans.Proxy.Edge.Routing;
using Orleans.Proxy.Routing;
using Orleans.Proxy.UnitTests.Fakes;

namespace Orleans.Proxy.UnitTests.Routing;

/// <summary>The sync loop against an in-memory catalog that pushes only when a test tells it to.</summary>
public sealed class CatalogSyncTests : IAsyncLifetime
{
    private readonly FakeCatalog _catalog = new();
    private readonly RouteTableCache _cache;
    private readonly CatalogSync _sync;

    public CatalogSyncTests()
    {
        (_cache, _, _, _) = RouteTableCacheTests.NewCache();
        var options = Options.Create(new EdgeOptions { Id = "edge-under-test", PollInterval = TimeSpan.FromMilliseconds(100) });
        _sync = new CatalogSync(new FakeGrainFactory(_catalog.Grain), _cache, new ClusterConnection(TimeProvider.System), new EdgeIdentity(options),
            TimeProvider.System, options, NullLogger<CatalogSync>.Instance);
    }

    public async Task InitializeAsync()
    {
        _catalog.Publish("a.test");
        await _sync.StartAsync(CancellationToken.None);
        await Served(_catalog.Snapshot.Generation);
    }

    public async Task DisposeAsync()
    {
        await _sync.StopAsync(CancellationToken.None);
        _sync.Dispose();
    }

    [Fact]
    public async Task PushedChange_AppliedAndReportedWithoutFetchingTheCatalogAgain()
    {
        var subscribes = _catalog.Subscribes;

        _catalog.Push(_catalog.Publish("b.test"));
        await Served(_catalog.Snapshot.Generation);
        await Until(() => _catalog.Reported == _catalog.Snapshot.Generation);

        Assert.Equal(subscribes, _catalog.Subscribes);
        Assert.Equal(["a.test", "b.test"], _cache.Current.Hosts.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ReportServed_KeepsTheSubscription_NextPushApplied()
    {
        _catalog.Push(_catalog.Publish("b.test"));
        await Until(() => _catalog.Reported == _catalog.Snapshot.Generation);

        // The observer the catalog holds after the report is the one it pushes to.
        _catalog.Push(_catalog.Publish("c.test", without: "a.test"));
        await Served(_catalog.Snapshot.Generation);

        Assert.Same(_sync, _catalog.Observer);
        Assert.Equal(["b.test", "c.test"], _cache.Current.Hosts.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task DeltaMissed_NextDeltaFetchesTheWholeCatalog()
    {
        _catalog.Publish("b.test");
        _catalog.Push(_catalog.Publish("c.test"));

        await Served(_catalog.Snapshot.Generation);

        Assert.Equal(["a.test", "b.test", "c.test"], _cache.Current.Hosts.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task PushLost_PollFindsANewerGenerationAndFetchesTheWholeCatalog()
    {
        _catalog.Publish("b.test", without: "a.test");

        await Served(_catalog.Snapshot.Generation);

        Assert.Equal(["b.test"], _cache.Current.Hosts.Keys);
    }

    private Task Served(long generation) => Until(() => _cache.Current.Catalog.Generation == generation && !_sync.Incomplete);

    /// <summary>The bound is generous, never the assertion.</summary>
    private static async Task Until(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(10);
        }
    }

    /// <summary>The catalog, host and backend grains of a cluster, each host with one route to its own backend.</summary>
    private sealed class FakeCatalog : IRouteCatalogGrain
    {
        private readonly Lock _lock = new();
        private readonly Dictionary<string, HostRoutes> _hosts = new(StringComparer.Ordinal);
        private readonly Dictionary<string, BackendSpec> _backends = new(StringComparer.Ordinal);
        private CatalogSnapshot _snapshot = CatalogSnapshot.Empty;
        private long _reported = -1;

        public CatalogSnapshot Snapshot
        {
            get
            {
                lock (_lock)
                {
                    return _snapshot;
                }
            }
        }

        public int Subscribes { get; private set; }

        public long Reported => Interlocked.Read(ref _reported);

        public IRouteCatalogObserver? Observer { get; private set; }

        public IGrain Grain(string key) => key == IRouteCatalogGrain.DefaultKey ? this
            : key.Contains(':', StringComparison.Ordinal) ? new BackendGrain(this, key) : new HostGrain(this, key);

        /// <summary>Adds a host (and removes one), writes its grains, and returns the delta the catalog would push.</summary>
        public CatalogDelta Publish(string host, string? without = null)
        {
            lock (_lock)
            {
                var generation = _snapshot.Generation + 1;
                var backend = $"ns/{host}:80";
                _hosts[host] = new HostRoutes(host, generation, [new RouteSpec($"ns/{host}#0.0", host, "/", PathMatchKind.Prefix, [], [], backend, $"Ingress ns/{host}")]);
                _backends[backend] = new BackendSpec(backend, generation, [new DestinationSpec("d", "http://127.0.0.1:1")]);
                var next = new CatalogSnapshot(
                    generation,
                    _snapshot.Hosts.SetItem(host, generation).Remove(without ?? ""),
                    _snapshot.Backends.SetItem(backend, generation).Remove(without is null ? "" : $"ns/{without}:80"),
                    []);
                var delta = CatalogDelta.Between(_snapshot, next);
                _snapshot = next;
                return delta;
            }
        }

        public void Push(CatalogDelta delta) => Observer!.OnCatalogChanged(delta);

        public Task<CatalogSnapshot> Subscribe(string edgeId, long appliedGeneration, IRouteCatalogObserver observer)
        {
            lock (_lock)
            {
                Subscribes++;
                Observer = observer;
                Interlocked.Exchange(ref _reported, appliedGeneration);
                return Task.FromResult(_snapshot);
            }
        }

        public Task<long> ReportServed(string edgeId, long appliedGeneration, IRouteCatalogObserver observer)
        {
            lock (_lock)
            {
                Observer = observer;
                Interlocked.Exchange(ref _reported, appliedGeneration);
                return Task.FromResult(_snapshot.Generation);
            }
        }

        public Task<VersionedWrite> Publish(CatalogSnapshot snapshot) => throw new NotSupportedException();

        public Task<VersionedWrite> PublishDelta(CatalogDelta delta) => throw new NotSupportedException();

        public Task<CatalogSnapshot> GetSnapshot() => Task.FromResult(Snapshot);

        public Task<ImmutableArray<EdgeStatus>> GetEdges() => throw new NotSupportedException();

        public Task Unsubscribe(IRouteCatalogObserver observer) => Task.CompletedTask;

        private sealed class HostGrain(FakeCatalog catalog, string key) : IHostRouteGrain
        {
            public Task<HostRoutes> GetRoutes()
            {
                lock (catalog._lock)
                {
                    return Task.FromResult(catalog._hosts[key]);
                }
            }

            public Task<VersionedWrite> SetRoutes(HostRoutes routes) => throw new NotSupportedException();
        }

        private sealed class BackendGrain(FakeCatalog catalog, string key) : IBackendGrain
        {
            public Task<BackendSpec> GetBackend()
            {
                lock (catalog._lock)
                {
                    return Task.FromResult(catalog._backends[key]);
                }
            }

            public Task<VersionedWrite> SetBackend(BackendSpec backend) => throw new NotSupportedException();
        }
    }
}
