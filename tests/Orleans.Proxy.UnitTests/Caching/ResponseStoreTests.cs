using System.Collections.Immutable;
using Orleans.Proxy.Caching;

namespace Orleans.Proxy.UnitTests.Caching;

public sealed class ResponseStoreTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static CachedResponse Entry(string key, int bodyBytes = 100, string host = "app.test", string path = "/a", string query = "",
        ImmutableArray<CacheHeader>? vary = null, ImmutableArray<string>? tags = null, DateTimeOffset? keepUntil = null) =>
        new(key, 200, [], new byte[bodyBytes], vary ?? [], Now, Now, TimeSpan.Zero, TimeSpan.FromMinutes(1), TimeSpan.Zero, TimeSpan.Zero, false,
            keepUntil ?? Now.AddHours(1), tags ?? [], host, path, query);

    private static string NoHeaders(string name) => string.Empty;

    [Fact]
    public void Set_PastTheBound_EvictsLeastRecentlyUsed()
    {
        var size = Entry("a").Size;
        var store = new ResponseStore(size * 3);
        store.Set(Entry("a"), store.PurgeMark);
        store.Set(Entry("b"), store.PurgeMark);
        store.Set(Entry("c"), store.PurgeMark);
        Assert.NotNull(store.Find("a", NoHeaders));

        var evicted = store.Set(Entry("d"), store.PurgeMark);

        Assert.Equal(1, evicted);
        Assert.Null(store.Find("b", NoHeaders));
        Assert.NotNull(store.Find("a", NoHeaders));
        Assert.Equal(3, store.Entries);
        Assert.True(store.Bytes <= store.MaxBytes);
        Assert.Equal(1, store.Evictions);
    }

    [Fact]
    public void Set_LargerThanTheStore_Refused()
    {
        var store = new ResponseStore(1000);

        Assert.Equal(-1, store.Set(Entry("a", bodyBytes: 2000), store.PurgeMark));
        Assert.Equal(0, store.Entries);
    }

    [Fact]
    public void Set_SameVaryValues_ReplacesTheVariant_OtherValues_AddOne()
    {
        var store = new ResponseStore(1 << 20);
        var gzip = ImmutableArray.Create(new CacheHeader("accept-encoding", "gzip"));
        store.Set(Entry("a", vary: gzip), store.PurgeMark);
        store.Set(Entry("a", vary: gzip, bodyBytes: 5), store.PurgeMark);
        store.Set(Entry("a", vary: [new CacheHeader("accept-encoding", "")]), store.PurgeMark);

        Assert.Equal(2, store.Entries);
        Assert.Equal(5, store.Find("a", n => n == "accept-encoding" ? "gzip" : "")!.Body.Length);
        Assert.Equal(100, store.Find("a", NoHeaders)!.Body.Length);
        Assert.Null(store.Find("a", n => "br"));
    }

    [Fact]
    public void Purge_UrlPrefixTagAndAll()
    {
        var store = new ResponseStore(1 << 20);
        store.Set(Entry("1", path: "/a", query: "?x=1"), store.PurgeMark);
        store.Set(Entry("2", path: "/a/b"), store.PurgeMark);
        store.Set(Entry("3", path: "/ab", tags: ["t1"]), store.PurgeMark);
        store.Set(Entry("4", host: "other.test", path: "/a"), store.PurgeMark);

        Assert.Equal(1, store.Purge(new CachePurge(CachePurgeKind.Url, "app.test", "/a?x=1")));
        Assert.Equal(1, store.Purge(new CachePurge(CachePurgeKind.Prefix, "app.test", "/a")));
        Assert.NotNull(store.Find("3", NoHeaders));
        Assert.Equal(1, store.Purge(new CachePurge(CachePurgeKind.Tag, "", "t1")));
        Assert.Equal(1, store.Purge(new CachePurge(CachePurgeKind.All, "", "")));
        Assert.Equal(0, store.Entries);
        Assert.Equal(0, store.Bytes);
    }

    [Fact]
    public void Set_FetchedBeforeAMatchingPurge_Refused_OtherwiseStored()
    {
        var store = new ResponseStore(1 << 20);
        var mark = store.PurgeMark;
        store.Purge(new CachePurge(CachePurgeKind.Prefix, "app.test", "/a"));

        Assert.Equal(-1, store.Set(Entry("1", path: "/a/x"), mark));
        Assert.Equal(0, store.Set(Entry("2", path: "/b"), mark));
        Assert.Equal(0, store.Set(Entry("1", path: "/a/x"), store.PurgeMark));
    }

    [Fact]
    public void DropExpired_RemovesPastKeepUntil()
    {
        var store = new ResponseStore(1 << 20);
        store.Set(Entry("old", keepUntil: Now.AddSeconds(1)), store.PurgeMark);
        store.Set(Entry("new", keepUntil: Now.AddHours(1)), store.PurgeMark);

        Assert.Equal(1, store.DropExpired(Now.AddMinutes(1)));
        Assert.Null(store.Find("old", NoHeaders));
        Assert.NotNull(store.Find("new", NoHeaders));
    }

    [Fact]
    public void Shards_StableAndInRange()
    {
        Assert.Equal(CacheShards.For("web http://a/b"), CacheShards.For("web http://a/b"));
        Assert.All(Enumerable.Range(0, 500).Select(i => int.Parse(CacheShards.For($"k{i}"), System.Globalization.CultureInfo.InvariantCulture)), s => Assert.InRange(s, 0, CacheShards.Count - 1));
        Assert.True(Enumerable.Range(0, 500).Select(i => CacheShards.For($"k{i}")).Distinct().Count() > CacheShards.Count / 2);
    }
}
