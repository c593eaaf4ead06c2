using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Proxy.Edge.AccessLog;
using Orleans.Proxy.IntegrationTests.Infrastructure;
using Orleans.Proxy.Testing;
using Orleans.Proxy.Translation.Annotations;
using static Orleans.Proxy.IntegrationTests.Operations.AccessLogTests;

namespace Orleans.Proxy.IntegrationTests.Caching;

/// <summary>
/// One embedded edge (silo in process, so the shared tier is there too) in front of a backend whose
/// answers each test sets: what HTTP's rules say is stored, reused, revalidated or passed through.
/// </summary>
public sealed class EdgeCachingTests(EdgeCachingTests.Fixture fixture) : IClassFixture<EdgeCachingTests.Fixture>
{
    private const string Host = Fixture.Host;
    private const string Plain = Fixture.Plain;

    private readonly CacheBackend _backend = fixture.Backend;
    private readonly TestEdge _edge = fixture.Edge;
    private readonly CapturingWriter _accessLog = fixture.AccessLog;

    /// <summary>One edge and backend for the class (its tests run one after another, each on its own paths).</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        public const string Host = "cache.test";
        public const string Plain = "plain.test";

        private readonly TempDirectory _routes = new();

        internal CapturingWriter AccessLog { get; } = new();

        internal CacheBackend Backend { get; private set; } = null!;

        internal TestEdge Edge { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Backend = await CacheBackend.StartAsync();
            (Edge, _) = await StartEdgeAsync(Backend, _routes, AccessLog);
        }

        public async Task DisposeAsync()
        {
            await Edge.DisposeAsync();
            await Backend.DisposeAsync();
            _routes.Dispose();
        }
    }

    /// <summary>An embedded edge with a cached host (default TTL 60 s, keyed also on X-Tenant) and a plain one, serving <paramref name="backend"/>.</summary>
    internal static async Task<(TestEdge Edge, CapturingWriter Log)> StartEdgeAsync(CacheBackend backend, TempDirectory routes, CapturingWriter? accessLog = null)
    {
        accessLog ??= new CapturingWriter();
        routes.Write("all.yaml", Manifests.ServiceFor("web", backend.Port) + "---\n"
            + Manifests.IngressWithAnnotations("cached", Fixture.Host, new Dictionary<string, string>
            {
                [AnnotationTable.Cache.Name] = "true",
                [AnnotationTable.CacheDefaultTtl.Name] = "60s",
                [AnnotationTable.CacheVaryHeaders.Name] = "X-Tenant",
            }, ("/", "Prefix", "web")) + "---\n"
            + Manifests.Ingress("plain", Fixture.Plain, ("/", "Prefix", "web")));
        var edge = await TestEdge.StartEmbeddedAsync(routes.Path, new Dictionary<string, string?> { ["Caching:StatusHeader"] = "true" },
            configureServices: s => s.AddSingleton(TestAccessLog.Output(accessLog)));
        backend.Set("/ready", new CannedResponse(200, new Dictionary<string, string>(), "ready"));
        await Eventually.Until(async () => (await edge.GetBodyAsync(Fixture.Plain, "/ready")) == "200 ready", "the edge serves its routes");
        return (edge, accessLog);
    }

    private async Task<(HttpStatusCode Status, string? Cache, string Body, HttpResponseMessage Response)> GetAsync(string path, params (string, string)[] headers)
    {
        var response = await _edge.GetAsync(Host, path, headers);
        var cache = response.Headers.TryGetValues("X-Cache", out var values) ? values.Single() : null;
        return (response.StatusCode, cache, await response.Content.ReadAsStringAsync(), response);
    }

    internal static Dictionary<string, string> H(params (string Name, string Value)[] headers) => headers.ToDictionary(h => h.Name, h => h.Value);

    [Fact]
    public async Task Get_MaxAge_SecondRequestIsAHitWithAge_BackendOnce()
    {
        _backend.Set("/fresh", new CannedResponse(200, H(("Cache-Control", "max-age=600"), ("Content-Type", "text/plain")), "hello"));

        var first = await GetAsync("/fresh");
        var second = await GetAsync("/fresh");

        Assert.Equal((HttpStatusCode.OK, "MISS", "hello"), (first.Status, first.Cache, first.Body));
        Assert.Equal((HttpStatusCode.OK, "HIT", "hello"), (second.Status, second.Cache, second.Body));
        Assert.NotNull(second.Response.Headers.Age);
        Assert.Equal("text/plain", second.Response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(1, _backend.Requests("/fresh"));
    }

    [Fact]
    public async Task Head_AfterAStoredGet_AnsweredFromCacheWithoutBody()
    {
        _backend.Set("/head", new CannedResponse(200, H(("Cache-Control", "max-age=600")), "body-for-head"));
        await GetAsync("/head");

        using var request = new HttpRequestMessage(HttpMethod.Head, "/head");
        request.Headers.Host = Host;
        using var response = await _edge.Public.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("HIT", response.Headers.GetValues("X-Cache").Single());
        Assert.Equal("body-for-head".Length, response.Content.Headers.ContentLength);
        Assert.Equal(1, _backend.Requests("/head"));
    }

    [Theory]
    [InlineData("no-store")]
    [InlineData("private, max-age=600")]
    public async Task Get_NoStoreOrPrivate_EveryRequestGoesToTheBackend(string cacheControl)
    {
        var path = "/uncached-" + cacheControl.Length;
        _backend.Set(path, new CannedResponse(200, H(("Cache-Control", cacheControl))));

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("MISS", (await GetAsync(path)).Cache);
        }

        Assert.Equal(3, _backend.Requests(path));
    }

    [Fact]
    public async Task Get_NoFreshnessInformation_DefaultTtlApplies()
    {
        _backend.Set("/ttl", new CannedResponse(200, H()));

        await GetAsync("/ttl");

        Assert.Equal("HIT", (await GetAsync("/ttl")).Cache);
        Assert.Equal(1, _backend.Requests("/ttl"));
    }

    [Fact]
    public async Task Get_WithAuthorization_NotSharedUnlessPublic()
    {
        _backend.Set("/auth", new CannedResponse(200, H(("Cache-Control", "max-age=600"))));
        _backend.Set("/auth-public", new CannedResponse(200, H(("Cache-Control", "public, max-age=600"))));

        await GetAsync("/auth", ("Authorization", "Bearer a"));
        await GetAsync("/auth", ("Authorization", "Bearer b"));
        await GetAsync("/auth-public", ("Authorization", "Bearer a"));
        var publicHit = await GetAsync("/auth-public", ("Authorization", "Bearer b"));

        Assert.Equal(2, _backend.Requests("/auth"));
        Assert.Equal(1, _backend.Requests("/auth-public"));
        Assert.Equal("HIT", publicHit.Cache);
    }

    [Fact]
    public async Task Get_SetCookie_NotStoredUnlessPublic_AndTheCookieIsNeverReplayed()
    {
        _backend.Set("/cookie", new CannedResponse(200, H(("Cache-Control", "max-age=600"), ("Set-Cookie", "session=a"))));
        _backend.Set("/cookie-public", new CannedResponse(200, H(("Cache-Control", "public, max-age=600"), ("Set-Cookie", "session=b"))));

        await GetAsync("/cookie");
        await GetAsync("/cookie");
        var miss = await GetAsync("/cookie-public");
        var hit = await GetAsync("/cookie-public");

        Assert.Equal(2, _backend.Requests("/cookie"));
        Assert.Equal(1, _backend.Requests("/cookie-public"));
        Assert.True(miss.Response.Headers.Contains("Set-Cookie"));
        Assert.Equal("HIT", hit.Cache);
        Assert.False(hit.Response.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task Get_Vary_EachVariantStoredApart()
    {
        _backend.Set("/vary", new CannedResponse(200, H(("Cache-Control", "max-age=600"), ("Vary", "Accept-Language"))));

        await GetAsync("/vary", ("Accept-Language", "en"));
        await GetAsync("/vary", ("Accept-Language", "fr"));
        var en = await GetAsync("/vary", ("Accept-Language", "en"));
        var fr = await GetAsync("/vary", ("Accept-Language", "fr"));
        var de = await GetAsync("/vary", ("Accept-Language", "de"));

        Assert.Equal(("HIT", "HIT", "MISS"), (en.Cache, fr.Cache, de.Cache));
        Assert.Equal(3, _backend.Requests("/vary"));
    }

    [Fact]
    public async Task Get_CacheVaryHeadersAnnotation_KeysOnTheHeader()
    {
        _backend.Set("/tenant", new CannedResponse(200, H(("Cache-Control", "max-age=600"))));

        await GetAsync("/tenant", ("X-Tenant", "a"));
        var other = await GetAsync("/tenant", ("X-Tenant", "b"));
        var same = await GetAsync("/tenant", ("X-Tenant", "a"));

        Assert.Equal(("MISS", "HIT"), (other.Cache, same.Cache));
        Assert.Equal(2, _backend.Requests("/tenant"));
    }

    [Fact]
    public async Task Get_StaleWithETag_RevalidatedWith304_ServedFromCache()
    {
        // max-age=0: stored, but every use needs validation.
        _backend.Set("/etag", new CannedResponse(200, H(("Cache-Control", "max-age=0"), ("ETag", "\"v1\"")), "etag-body"));

        var first = await GetAsync("/etag");
        var second = await GetAsync("/etag");

        Assert.Equal("MISS", first.Cache);
        Assert.Equal((HttpStatusCode.OK, "REVALIDATED", "etag-body"), (second.Status, second.Cache, second.Body));
        Assert.Equal("\"v1\"", _backend.LastRequestHeaders("/etag")!.IfNoneMatch.ToString());
        Assert.Equal(1, _backend.NotModifiedAnswers("/etag"));
    }

    [Fact]
    public async Task Get_ClientConditionalMatchingStoredResponse_304FromCache()
    {
        _backend.Set("/conditional", new CannedResponse(200, H(("Cache-Control", "max-age=600"), ("ETag", "\"v7\""))));
        await GetAsync("/conditional");

        var matching = await GetAsync("/conditional", ("If-None-Match", "\"v7\""));
        var other = await GetAsync("/conditional", ("If-None-Match", "\"v6\""));

        Assert.Equal((HttpStatusCode.NotModified, "HIT", ""), (matching.Status, matching.Cache, matching.Body));
        Assert.Equal("\"v7\"", matching.Response.Headers.ETag?.ToString());
        Assert.Equal((HttpStatusCode.OK, "HIT", "v1"), (other.Status, other.Cache, other.Body));
        Assert.Equal(1, _backend.Requests("/conditional"));
    }

    [Fact]
    public async Task Get_ClientConditionalOnAMiss_BackendGetsAFullRequest_ClientGets304()
    {
        _backend.Set("/conditional-miss", new CannedResponse(200, H(("Cache-Control", "max-age=600"), ("ETag", "\"v3\""))));

        var first = await GetAsync("/conditional-miss", ("If-None-Match", "\"v3\""));
        var next = await GetAsync("/conditional-miss");

        Assert.Equal(HttpStatusCode.NotModified, first.Status);
        Assert.Equal(0, _backend.NotModifiedAnswers("/conditional-miss"));
        Assert.Equal((HttpStatusCode.OK, "HIT", "v1"), (next.Status, next.Cache, next.Body));
    }

    [Fact]
    public async Task Get_ClientNoCache_ValidatedWithTheBackend()
    {
        _backend.Set("/client-no-cache", new CannedResponse(200, H(("Cache-Control", "max-age=600"), ("ETag", "\"n1\""))));
        await GetAsync("/client-no-cache");

        var validated = await GetAsync("/client-no-cache", ("Cache-Control", "no-cache"));
        var pragma = await GetAsync("/client-no-cache", ("Pragma", "no-cache"));

        Assert.Equal("REVALIDATED", validated.Cache);
        Assert.Equal("REVALIDATED", pragma.Cache);
        Assert.Equal(3, _backend.Requests("/client-no-cache"));
        Assert.Equal(2, _backend.NotModifiedAnswers("/client-no-cache"));
    }

    [Fact]
    public async Task Get_OnlyIfCachedWithNothingStored_504()
    {
        var response = await GetAsync("/never-fetched", ("Cache-Control", "only-if-cached"));

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.Status);
        Assert.Equal(0, _backend.Requests("/never-fetched"));
    }

    [Fact]
    public async Task Post_BypassesTheCache_AndInvalidatesTheUrl()
    {
        _backend.Set("/item", new CannedResponse(200, H(("Cache-Control", "max-age=600"))));
        await GetAsync("/item");

        using var post = new HttpRequestMessage(HttpMethod.Post, "/item") { Content = new StringContent("x") };
        post.Headers.Host = Host;
        using var posted = await _edge.Public.SendAsync(post);
        var after = await GetAsync("/item");

        Assert.Equal("BYPASS", posted.Headers.GetValues("X-Cache").Single());
        Assert.Equal("MISS", after.Cache);
        Assert.Equal(3, _backend.Requests("/item"));
    }

    [Fact]
    public async Task Get_Uncached_Route_HasNoCacheField()
    {
        await _edge.GetBodyAsync(Plain, "/plain-route");

        var line = await _accessLog.WaitForLineAsync(l => l.GetProperty("path").GetString() == "/plain-route");
        Assert.False(line.TryGetProperty("cache", out _));
    }

    [Fact]
    public async Task DiagCache_ShowsEntriesSizesAndHitRatio()
    {
        _backend.Set("/diag", new CannedResponse(200, H(("Cache-Control", "max-age=600"), ("Surrogate-Key", "product-1"))));
        await GetAsync("/diag");
        await GetAsync("/diag");

        var diag = await _edge.DiagAsync("/diag/cache?shared=true");

        var memory = diag.GetProperty("memory");
        Assert.True(memory.GetProperty("hits").GetInt64() >= 1);
        Assert.True(memory.GetProperty("bytes").GetInt64() > 0);
        Assert.InRange(memory.GetProperty("hitRatio").GetDouble(), 0.0001, 1);
        Assert.True(diag.GetProperty("shared").GetProperty("entries").GetInt32() >= 1);
        var entry = diag.GetProperty("entries").EnumerateArray().First(e => e.GetProperty("key").GetString()!.Contains("/diag", StringComparison.Ordinal));
        Assert.Equal("product-1", entry.GetProperty("tags")[0].GetString());

        var metrics = await _edge.Diagnostics.GetStringAsync("/metrics");
        Assert.True(PrometheusText.Value(metrics, "orleans_proxy_cache_requests_total", ("status", "HIT")) >= 1, "cache requests are counted by status");
        Assert.True(PrometheusText.Value(metrics, "orleans_proxy_cache_bytes_total", ("source", "cache")) > 0, "bytes served from the cache are counted");
        Assert.NotNull(PrometheusText.Value(metrics, "orleans_proxy_cache_hit_ratio"));

        var output = new StringWriter();
        var url = _edge.Diagnostics.BaseAddress!.ToString().TrimEnd('/');
        Assert.Equal(0, await Edge.Diagnostics.DiagnosticsCommand.RunAsync(["cache", "--url", url, "--token", TestEdge.DiagnosticsToken], output));
        Assert.Contains("memory", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("HIT RATIO", output.ToString(), StringComparison.Ordinal);

        var purged = new StringWriter();
        Assert.Equal(0, await Edge.Diagnostics.DiagnosticsCommand.RunAsync(["purge", "tag", "product-1", "--url", url, "--token", TestEdge.DiagnosticsToken], purged));
        Assert.Contains("purged tag product-1", purged.ToString(), StringComparison.Ordinal);
        Assert.Contains(_edge.Id, purged.ToString(), StringComparison.Ordinal);
        Assert.Equal("MISS", (await GetAsync("/diag")).Cache);
    }
}

/// <summary>A stored response served when the backend fails (its own edge: the test stops the backend).</summary>
public sealed class StaleIfErrorTests
{
    [Fact]
    public async Task Get_StaleIfError_Backend5xxOrDown_StaleServed_AndTheAccessLogSaysSo()
    {
        await using var backend = await CacheBackend.StartAsync();
        using var routes = new TempDirectory();
        var (edge, accessLog) = await EdgeCachingTests.StartEdgeAsync(backend, routes);
        await using var _ = edge;
        async Task<(HttpStatusCode Status, string? Cache, string Body)> GetAsync(string path)
        {
            using var response = await edge.GetAsync(EdgeCachingTests.Fixture.Host, path);
            return (response.StatusCode, response.Headers.TryGetValues("X-Cache", out var v) ? v.Single() : null, await response.Content.ReadAsStringAsync());
        }

        // Stale at once, usable for 10 minutes when the backend fails.
        backend.Set("/sie", new CannedResponse(200, EdgeCachingTests.H(("Cache-Control", "max-age=0, stale-if-error=600")), "last-good"));
        await GetAsync("/sie");

        backend.Failing = true;
        try
        {
            var stale = await GetAsync("/sie");
            var noneStored = await GetAsync("/sie-never-stored");

            Assert.Equal((HttpStatusCode.OK, "STALE", "last-good"), (stale.Status, stale.Cache, stale.Body));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, noneStored.Status);
            var line = await accessLog.WaitForLineAsync(l => l.GetProperty("path").GetString() == "/sie" && l.GetProperty("cache").GetString() == "STALE");
            Assert.Equal(200, line.GetProperty("status").GetInt32());

            // Every destination down (connections refused): the same.
            await backend.DisposeAsync();
            var down = await GetAsync("/sie");
            Assert.Equal((HttpStatusCode.OK, "STALE", "last-good"), (down.Status, down.Cache, down.Body));
        }
        finally
        {
            backend.Failing = false;
        }
    }
}
