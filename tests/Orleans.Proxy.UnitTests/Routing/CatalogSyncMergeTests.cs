using System.Collections.Immutable;
using Orleans.Proxy.Edge.Routing;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.UnitTests.Routing;

public sealed class CatalogSyncMergeTests
{
    private static readonly ImmutableDictionary<string, HostRoutes> Cached = ImmutableDictionary.CreateRange(StringComparer.Ordinal,
        new[] { "a.test", "b.test", "c.test" }.Select(h => KeyValuePair.Create(h, new HostRoutes(h, 1, []))));

    [Fact]
    public void Merge_OneHostChanged_OthersKeptByReference()
    {
        var wanted = Versions(("a.test", 1), ("b.test", 2), ("c.test", 1));
        var changed = new HostRoutes("b.test", 2, []);

        var merged = Merge(wanted, CatalogSync.Stale(wanted, Cached, h => h.Version).Select(s => (s.Key, s.Value, changed)));

        Assert.Same(Cached["a.test"], merged["a.test"]);
        Assert.Same(changed, merged["b.test"]);
        Assert.Same(Cached["c.test"], merged["c.test"]);
    }

    [Fact]
    public void Merge_HostRemovedAndOneAdded_OnlyTheCatalogsKeys()
    {
        var wanted = Versions(("a.test", 1), ("c.test", 1), ("d.test", 1));
        var added = new HostRoutes("d.test", 1, []);

        var merged = Merge(wanted, [("d.test", 1, added)]);

        Assert.Equal(["a.test", "c.test", "d.test"], merged.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Merge_NewHostBehindWhileAnotherRemoved_NeitherServed()
    {
        var wanted = Versions(("a.test", 1), ("b.test", 1), ("d.test", 3));
        var reported = new List<string>();

        var merged = CatalogSync.Merge(wanted, Cached, [("d.test", 3L, new HostRoutes("d.test", 2, []))], h => h.Version, null, (key, _, _) => reported.Add(key));

        Assert.Equal(["a.test", "b.test"], merged.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["d.test"], reported);
    }

    [Fact]
    public void Merge_ChangedHostBehind_KeepsTheCachedValue()
    {
        var wanted = Versions(("a.test", 5), ("b.test", 1), ("c.test", 1));

        var merged = Merge(wanted, [("a.test", 5, new HostRoutes("a.test", 4, []))]);

        Assert.Same(Cached["a.test"], merged["a.test"]);
        Assert.Equal(3, merged.Count);
    }

    [Fact]
    public void StaleAndMerge_ChangedKeysGiven_OnlyThoseLookedAt()
    {
        // b.test changed and c.test was removed by the deltas; a.test is at another version in the catalog
        // but not named, so the cache's copy stands (the deltas are the whole difference from the cache).
        var wanted = Versions(("a.test", 9), ("b.test", 2));
        string[] changed = ["b.test", "c.test"];
        var newB = new HostRoutes("b.test", 2, []);

        var stale = CatalogSync.Stale(wanted, Cached, h => h.Version, changed);
        var merged = CatalogSync.Merge(wanted, Cached, stale.Select(s => (s.Key, s.Value, newB)), h => h.Version, changed, (_, _, _) => { });

        Assert.Equal(["b.test"], stale.Select(s => s.Key));
        Assert.Equal(["a.test", "b.test"], merged.Keys.Order(StringComparer.Ordinal));
        Assert.Same(Cached["a.test"], merged["a.test"]);
        Assert.Same(newB, merged["b.test"]);
    }

    private static ImmutableDictionary<string, HostRoutes> Merge(ImmutableDictionary<string, long> wanted, IEnumerable<(string, long, HostRoutes)> fetched) =>
        CatalogSync.Merge(wanted, Cached, fetched, h => h.Version, null, (_, _, _) => { });

    private static ImmutableDictionary<string, long> Versions(params (string Host, long Version)[] hosts) =>
        ImmutableDictionary.CreateRange(StringComparer.Ordinal, hosts.Select(h => KeyValuePair.Create(h.Host, h.Version)));
}
