using Microsoft.AspNetCore.Http;
using Orleans.Proxy.Caching;
using Orleans.Proxy.Hosting.Diagnostics;

namespace Orleans.Proxy.UnitTests.Caching;

/// <summary>The purge endpoint's query: by URL, host and prefix, tag, or everything.</summary>
public sealed class CachePurgeRequestTests
{
    private static CachePurge? Read(string query, out string error) =>
        CachePurgeEndpoint.Read(new QueryCollection(Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(query)), out error);

    [Fact]
    public void Read_Url_HostLowerCasedPathDecodedQueryKept()
    {
        var purge = Read("?url=" + Uri.EscapeDataString("https://Shop.Example/a%20b/c?x=1&y=2"), out _);

        Assert.Equal(new CachePurge(CachePurgeKind.Url, "shop.example", "/a b/c?x=1&y=2"), purge);
    }

    [Fact]
    public void Read_HostAndPrefix_Tag_All()
    {
        Assert.Equal(new CachePurge(CachePurgeKind.Prefix, "shop.example", "/products"), Read("?host=Shop.Example&prefix=/products", out _));
        Assert.Equal(new CachePurge(CachePurgeKind.Tag, "", "product-7"), Read("?tag=product-7", out _));
        Assert.Equal(CachePurgeKind.All, Read("?all=true", out _)!.Kind);
    }

    [Theory]
    [InlineData("")]
    [InlineData("?url=not-a-url")]
    [InlineData("?url=ftp%3A%2F%2Fx%2Fy")]
    [InlineData("?prefix=/p")]
    [InlineData("?host=h&prefix=p")]
    public void Read_Incomplete_RefusedWithAReason(string query)
    {
        Assert.Null(Read(query, out var error));
        Assert.NotEmpty(error);
    }

    [Fact]
    public void Matches_UrlPurge_OnlyThatPathAndQuery()
    {
        var purge = new CachePurge(CachePurgeKind.Url, "shop.example", "/a?x=1");
        CachedResponse Entry(string path, string query) => new("k", 200, [], [], [], default, default, default, default, default, default, false, default, [], "shop.example", path, query);

        Assert.True(purge.Matches(Entry("/a", "?x=1")));
        Assert.False(purge.Matches(Entry("/a", "")));
        Assert.False(purge.Matches(Entry("/a", "?x=12")));
        Assert.False(purge.Matches(Entry("/ab", "?x=1")));
    }

    [Fact]
    public void Matches_PrefixPurge_WholePathElements()
    {
        var purge = new CachePurge(CachePurgeKind.Prefix, "shop.example", "/docs");
        CachedResponse Entry(string path) => new("k", 200, [], [], [], default, default, default, default, default, default, false, default, [], "shop.example", path, "");

        Assert.True(purge.Matches(Entry("/docs")));
        Assert.True(purge.Matches(Entry("/docs/a/b")));
        Assert.False(purge.Matches(Entry("/docsx")));
        Assert.False(purge.Matches(Entry("/")));
    }
}
