using System.Net;
using System.Text.Json;
using Orleans.Proxy.IntegrationTests.Infrastructure;
using Orleans.Proxy.Testing;
using Orleans.Proxy.Translation.Annotations;

namespace Orleans.Proxy.IntegrationTests.Caching;

/// <summary>
/// Several edges on one TestingHost cluster (sharing its client, as pods share the silos): one
/// backend fetch per object for the whole fleet, and purges that reach every edge.
/// </summary>
public sealed class FleetCachingTests
{
    private const string Host = "fleet.test";
    private const string Ready = "ready.test";

    private static async Task<(ProxyTestCluster Cluster, CacheBackend Backend, List<TestEdge> Edges)> StartAsync(int edges, bool sharedTier = true, IDictionary<string, string?>? settings = null)
    {
        var backend = await CacheBackend.StartAsync();
        var cluster = await ProxyTestCluster.StartAsync(silos: 1);
        var started = new List<TestEdge>();
        for (var i = 0; i < edges; i++)
        {
            started.Add(await cluster.StartEdgeAsync(new Dictionary<string, string?>
            {
                ["Caching:StatusHeader"] = "true",
                ["Caching:SharedTier"] = sharedTier ? "true" : "false",
                // The longest waits allowed: a loaded machine must not turn a wait into a second fetch.
                ["Caching:CollapseTimeout"] = "00:00:30",
                ["Caching:FillLease"] = "00:00:30",
                ["Caching:SharedLookupTimeout"] = "00:00:05",
            }.Concat(settings ?? new Dictionary<string, string?>()).ToDictionary(kv => kv.Key, kv => kv.Value)));
        }

        await cluster.PublishAsync(Manifests.ServiceFor("web", backend.Port) + "---\n"
            + Manifests.IngressWithAnnotations("cached", Host, new Dictionary<string, string> { [AnnotationTable.Cache.Name] = "true" }, ("/", "Prefix", "web")) + "---\n"
            + Manifests.Ingress("ready", Ready, ("/", "Prefix", "web")));
        backend.Set("/ready", new CannedResponse(200, new Dictionary<string, string>(), "ready"));
        foreach (var edge in started)
        {
            await Eventually.Until(async () => (await edge.GetBodyAsync(Ready, "/ready")) == "200 ready", "every edge serves the routes");
        }

        return (cluster, backend, started);
    }

    private static async Task<(string Body, string Cache)> GetAsync(TestEdge edge, string path)
    {
        using var response = await edge.GetAsync(Host, path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadAsStringAsync(), response.Headers.GetValues("X-Cache").Single());
    }

    private static async Task<JsonElement> PurgeAsync(TestEdge edge, string query)
    {
        using var response = await edge.Diagnostics.PostAsync($"/diag/cluster/cache/purge?{query}&waitMs=10000", content: null);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static void AssertEveryEdgeApplied(JsonElement result, IEnumerable<TestEdge> edges)
    {
        Assert.Empty(result.GetProperty("edgesPending").EnumerateArray());
        var applied = result.GetProperty("edgesApplied").EnumerateArray().Select(e => e.GetString()).ToHashSet();
        Assert.All(edges, e => Assert.Contains(e.Id, applied));
    }

    [Fact]
    public async Task FourEdges_200ConcurrentRequestsForOneUncachedObject_OneBackendRequest()
    {
        var (cluster, backend, edges) = await StartAsync(4);
        await using var _ = cluster;
        await using var __ = backend;
        // The fetch stays in flight while the others arrive; what is asserted is the count, not the time.
        backend.Set("/object", new CannedResponse(200, new Dictionary<string, string> { ["Cache-Control"] = "max-age=600" }, "the-object") { DelayMs = 500 });

        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => GetAsync(edges[i % edges.Count], "/object")));

        Assert.All(results, r => Assert.Equal("the-object", r.Body));
        Assert.Equal(1, backend.Requests("/object"));
        Assert.Single(results, r => r.Cache == "MISS");
        Assert.All(results, r => Assert.Contains(r.Cache, new[] { "MISS", "HIT", "COLLAPSED" }));
        Assert.Contains(results, r => r.Cache == "COLLAPSED");
    }

    [Fact]
    public async Task ThreeEdges_PurgeByUrl_NextRequestGoesToTheBackendOnEachEdge()
    {
        var (cluster, backend, edges) = await StartAsync(3, sharedTier: false);
        await using var _ = cluster;
        await using var __ = backend;
        backend.Set("/page", new CannedResponse(200, new Dictionary<string, string> { ["Cache-Control"] = "max-age=600" }, "v1"));
        foreach (var edge in edges)
        {
            await GetAsync(edge, "/page");
            Assert.Equal(("v1", "HIT"), await GetAsync(edge, "/page"));
        }

        Assert.Equal(3, backend.Requests("/page"));

        backend.Set("/page", new CannedResponse(200, new Dictionary<string, string> { ["Cache-Control"] = "max-age=600" }, "v2"));
        var result = await PurgeAsync(edges[1], $"url={Uri.EscapeDataString($"http://{Host}/page")}");

        AssertEveryEdgeApplied(result, edges);
        foreach (var edge in edges)
        {
            Assert.Equal(("v2", "MISS"), await GetAsync(edge, "/page"));
        }

        Assert.Equal(6, backend.Requests("/page"));
    }

    [Fact]
    public async Task ThreeEdges_SharedTier_PurgeByTagAndPrefix_NoEdgeServesTheOldCopy()
    {
        var (cluster, backend, edges) = await StartAsync(3);
        await using var _ = cluster;
        await using var __ = backend;
        var tagged = new Dictionary<string, string> { ["Cache-Control"] = "max-age=600", ["Surrogate-Key"] = "product-7 catalog" };
        backend.Set("/products/7", new CannedResponse(200, tagged, "v1"));
        backend.Set("/docs/a", new CannedResponse(200, new Dictionary<string, string> { ["Cache-Control"] = "max-age=600" }, "v1"));
        foreach (var path in new[] { "/products/7", "/docs/a" })
        {
            Assert.Equal(("v1", "MISS"), await GetAsync(edges[0], path));
            // The other edges find it in the shared tier (or wait for the store still on its way): no second backend fetch.
            foreach (var edge in edges.Skip(1))
            {
                var (body, cache) = await GetAsync(edge, path);
                Assert.Equal("v1", body);
                Assert.Contains(cache, new[] { "HIT", "COLLAPSED" });
            }

            Assert.Equal(1, backend.Requests(path));
        }

        backend.Set("/products/7", new CannedResponse(200, tagged, "v2"));
        backend.Set("/docs/a", new CannedResponse(200, new Dictionary<string, string> { ["Cache-Control"] = "max-age=600" }, "v2"));
        AssertEveryEdgeApplied(await PurgeAsync(edges[2], "tag=product-7"), edges);
        AssertEveryEdgeApplied(await PurgeAsync(edges[0], $"host={Host}&prefix=/docs"), edges);

        foreach (var path in new[] { "/products/7", "/docs/a" })
        {
            foreach (var edge in edges)
            {
                Assert.Equal("v2", (await GetAsync(edge, path)).Body);
            }

            // One fetch after the purge serves the whole fleet again.
            Assert.Equal(2, backend.Requests(path));
        }
    }

    [Fact]
    public async Task TwoEdges_ObjectsAboveTheSharedLimit_StayInOneEdgesMemory_AboveTheObjectLimit_AreNotStored()
    {
        var (cluster, backend, edges) = await StartAsync(2, settings: new Dictionary<string, string?>
        {
            ["Caching:SharedMaxObjectBytes"] = "1024",
            ["Caching:MaxObjectBytes"] = "8192",
        });
        await using var _ = cluster;
        await using var __ = backend;
        var cacheable = new Dictionary<string, string> { ["Cache-Control"] = "max-age=600" };
        backend.Set("/medium", new CannedResponse(200, cacheable, new string('m', 4096)));
        backend.Set("/large", new CannedResponse(200, cacheable, new string('l', 16384)));

        Assert.Equal("MISS", (await GetAsync(edges[0], "/medium")).Cache);
        Assert.Equal("HIT", (await GetAsync(edges[0], "/medium")).Cache);
        var other = await GetAsync(edges[1], "/medium");
        Assert.Equal(("MISS", 4096), (other.Cache, other.Body.Length));
        Assert.Equal(2, backend.Requests("/medium"));

        for (var i = 0; i < 3; i++)
        {
            var large = await GetAsync(edges[i % 2], "/large");
            Assert.Equal(("MISS", 16384), (large.Cache, large.Body.Length));
        }

        Assert.Equal(3, backend.Requests("/large"));
    }
}
