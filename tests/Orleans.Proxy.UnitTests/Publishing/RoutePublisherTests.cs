using System.Collections.Immutable;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Orleans.Proxy.Routing;
using Orleans.Proxy.Silo.Publishing;
using Orleans.Proxy.Translation.Ingress;
using Orleans.Proxy.UnitTests.Fakes;

namespace Orleans.Proxy.UnitTests.Publishing;

public sealed class RoutePublisherTests
{
    private readonly List<string> _writes = [];
    private readonly List<CatalogSnapshot> _catalogs = [];
    private readonly List<CatalogDelta> _deltas = [];
    private readonly FakeGrainFactory _grains;
    private readonly RoutePublisher _publisher;

    public RoutePublisherTests()
    {
        var grains = _grains = new FakeGrainFactory(key => new RecordingGrain(key, _writes, _catalogs, _deltas));
        _publisher = new RoutePublisher(grains, new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddYears(56)), NullLogger<RoutePublisher>.Instance);
    }

    [Fact]
    public async Task PublishAsync_OneHostChanged_WritesThatHostAndTheCatalogOnly()
    {
        var first = State(("a.test", "/a"), ("b.test", "/b"), ("c.test", "/c"));
        await _publisher.PublishAsync(first, rewriteAll: false, CancellationToken.None);
        _writes.Clear();

        var changed = first with { Hosts = first.Hosts.SetItem("b.test", [Route("b.test", "/b2")]) };
        await _publisher.PublishAsync(changed, rewriteAll: false, CancellationToken.None);

        Assert.Equal(["host b.test", "catalog default"], _writes);
    }

    [Fact]
    public async Task PublishAsync_HostChangedThenGone_CatalogNamesTheNewVersionThenDropsIt()
    {
        var first = State(("a.test", "/a"), ("b.test", "/b"));
        await _publisher.PublishAsync(first, rewriteAll: false, CancellationToken.None);
        var before = _catalogs[^1];

        await _publisher.PublishAsync(first with { Hosts = first.Hosts.SetItem("b.test", [Route("b.test", "/b2")]) }, rewriteAll: false, CancellationToken.None);
        var changed = _catalogs[^1];
        _writes.Clear();
        await _publisher.PublishAsync(State(("a.test", "/a")), rewriteAll: false, CancellationToken.None);
        var gone = _catalogs[^1];

        Assert.Equal(before.Hosts["a.test"], changed.Hosts["a.test"]);
        Assert.True(changed.Hosts["b.test"] > before.Hosts["b.test"]);
        Assert.Equal(["a.test"], gone.Hosts.Keys);
        Assert.Equal(["ns/a:80"], gone.Backends.Keys);
        Assert.Equal(["backend ns/b:80", "catalog default", "host b.test"], _writes.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task PublishAsync_EqualContentInNewInstances_WritesNothing()
    {
        await _publisher.PublishAsync(State(("a.test", "/a"), ("b.test", "/b")), rewriteAll: false, CancellationToken.None);
        _writes.Clear();

        await _publisher.PublishAsync(State(("a.test", "/a"), ("b.test", "/b")), rewriteAll: false, CancellationToken.None);

        Assert.Empty(_writes);
    }

    [Fact]
    public async Task PublishAsync_RewriteAll_WritesEveryGrainAgain()
    {
        var state = State(("a.test", "/a"), ("b.test", "/b"));
        await _publisher.PublishAsync(state, rewriteAll: false, CancellationToken.None);
        _writes.Clear();

        await _publisher.PublishAsync(state, rewriteAll: true, CancellationToken.None);

        Assert.Equal(["backend ns/a:80", "backend ns/b:80", "catalog default", "host a.test", "host b.test"], _writes.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task PublishAsync_HostsChangedAddedAndGone_CatalogGrainGetsADeltaThatLeadsToTheWholeCatalog()
    {
        await _publisher.PublishAsync(State(("a.test", "/a"), ("b.test", "/b"), ("c.test", "/c")), rewriteAll: false, CancellationToken.None);
        Assert.Empty(_deltas);

        await _publisher.PublishAsync(State(("a.test", "/a"), ("b.test", "/b2"), ("d.test", "/d")), rewriteAll: false, CancellationToken.None);

        var delta = Assert.Single(_deltas);
        Assert.Equal(["b.test", "d.test"], delta.Hosts.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["c.test"], delta.RemovedHosts.AsEnumerable());
        Assert.Equal(["ns/d:80"], delta.Backends.Keys);
        Assert.Equal(["ns/c:80"], delta.RemovedBackends.AsEnumerable());
        AssertSameCatalog(_publisher.Catalog, Catalog().Held);
    }

    [Fact]
    public async Task PublishAsync_CatalogGrainLostItsCatalog_PublishesTheWholeCatalog()
    {
        await _publisher.PublishAsync(State(("a.test", "/a"), ("b.test", "/b")), rewriteAll: false, CancellationToken.None);
        Catalog().Held = CatalogSnapshot.Empty;
        _catalogs.Clear();

        await _publisher.PublishAsync(State(("a.test", "/a"), ("b.test", "/b2")), rewriteAll: false, CancellationToken.None);

        Assert.Single(_deltas);
        Assert.Same(_publisher.Catalog, Assert.Single(_catalogs));
        AssertSameCatalog(_publisher.Catalog, Catalog().Held);
        Assert.Equal(["a.test", "b.test"], Catalog().Held.Hosts.Keys.Order(StringComparer.Ordinal));
    }

    private RecordingGrain Catalog() => (RecordingGrain)_grains.GetGrain<IRouteCatalogGrain>(IRouteCatalogGrain.DefaultKey);

    private static void AssertSameCatalog(CatalogSnapshot expected, CatalogSnapshot actual)
    {
        Assert.Equal(expected.Generation, actual.Generation);
        Assert.Equal(expected.Hosts.OrderBy(h => h.Key, StringComparer.Ordinal), actual.Hosts.OrderBy(h => h.Key, StringComparer.Ordinal));
        Assert.Equal(expected.Backends.OrderBy(b => b.Key, StringComparer.Ordinal), actual.Backends.OrderBy(b => b.Key, StringComparer.Ordinal));
    }

    private static DesiredState State(params (string Host, string Path)[] hosts) => new(
        hosts.ToImmutableSortedDictionary(h => h.Host, h => ImmutableArray.Create(Route(h.Host, h.Path)), StringComparer.Ordinal),
        hosts.ToImmutableSortedDictionary(h => Cluster(h.Host), h => new BackendSpec(Cluster(h.Host), 0, [new DestinationSpec("10.0.0.1:80", "http://10.0.0.1:80")]), StringComparer.Ordinal),
        []);

    private static RouteSpec Route(string host, string path) => new($"ns/{host}#0", host, path, PathMatchKind.Prefix, [], [], Cluster(host), $"Ingress ns/{host}");

    private static string Cluster(string host) => $"ns/{host[0]}:80";

    /// <summary>
    /// Every grain kind the publisher writes, under one key; records each write as "kind key", each catalog
    /// (a delta's as it leads to) and each delta. As a catalog, holds what it stored and takes a delta only from the generation held.
    /// </summary>
    private sealed class RecordingGrain(string key, List<string> writes, List<CatalogSnapshot> catalogs, List<CatalogDelta> deltas) : IHostRouteGrain, IBackendGrain, ITlsCertificateGrain, IRouteCatalogGrain
    {
        private long _version;

        public CatalogSnapshot Held { get; set; } = CatalogSnapshot.Empty;

        public Task<VersionedWrite> SetRoutes(HostRoutes routes) => Write("host", routes.Version);

        public Task<VersionedWrite> SetBackend(BackendSpec backend) => Write("backend", backend.Version);

        public Task<VersionedWrite> SetCertificate(TlsCertificateSpec certificate) => Write("certificate", certificate.Version);

        public Task<VersionedWrite> Publish(CatalogSnapshot snapshot)
        {
            catalogs.Add(snapshot);
            return Store(snapshot);
        }

        public Task<VersionedWrite> PublishDelta(CatalogDelta delta)
        {
            deltas.Add(delta);
            return delta.FromGeneration == Held.Generation ? Publish(delta.ApplyTo(Held)) : Task.FromResult(new VersionedWrite(false, Held.Generation));
        }

        public Task<long> ReportServed(string edgeId, long appliedGeneration, IRouteCatalogObserver observer) => throw new NotSupportedException();

        private Task<VersionedWrite> Store(CatalogSnapshot snapshot)
        {
            _version = Held.Generation;
            var write = Write("catalog", snapshot.Generation);
            if (write.Result.Stored)
            {
                Held = snapshot;
            }

            return write;
        }

        public Task<HostRoutes> GetRoutes() => throw new NotSupportedException();

        public Task<BackendSpec> GetBackend() => throw new NotSupportedException();

        public Task<TlsCertificateSpec> GetCertificate() => throw new NotSupportedException();

        public Task<CatalogSnapshot> GetSnapshot() => throw new NotSupportedException();

        public Task<CatalogSnapshot> Subscribe(string edgeId, long appliedGeneration, IRouteCatalogObserver observer) => throw new NotSupportedException();

        public Task<ImmutableArray<EdgeStatus>> GetEdges() => throw new NotSupportedException();

        public Task Unsubscribe(IRouteCatalogObserver observer) => throw new NotSupportedException();

        private Task<VersionedWrite> Write(string kind, long version)
        {
            lock (writes)
            {
                writes.Add($"{kind} {key}");
            }

            var stored = version > _version;
            _version = Math.Max(_version, version);
            return Task.FromResult(new VersionedWrite(stored, _version));
        }
    }
}
