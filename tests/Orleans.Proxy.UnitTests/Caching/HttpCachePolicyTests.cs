using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using Orleans.Proxy.Caching;
using Orleans.Proxy.Edge.Caching;

namespace Orleans.Proxy.UnitTests.Caching;

/// <summary>RFC 9111 (and RFC 5861) as the policy reads it, on a fake clock.</summary>
public sealed class HttpCachePolicyTests
{
    private static readonly CacheSpec Spec = new(null, [], null, [], null);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));

    private static HeaderDictionary Headers(params (string Name, string Value)[] headers)
    {
        var dictionary = new HeaderDictionary();
        foreach (var (name, value) in headers)
        {
            dictionary.Append(name, value);
        }

        return dictionary;
    }

    private static RequestDirectives Get(params (string, string)[] headers) => HttpCachePolicy.ForRequest("GET", Headers(headers));

    private StoreDecision Evaluate(int status, HeaderDictionary response, RequestDirectives? request = null, CacheSpec? spec = null) =>
        HttpCachePolicy.Evaluate(request ?? Get(), status, response, spec ?? Spec, _time.GetUtcNow(), _time.GetUtcNow());

    private CachedResponse Store(HeaderDictionary response, RequestDirectives? request = null, CacheSpec? spec = null, int status = 200, HeaderDictionary? requestHeaders = null)
    {
        var decision = Evaluate(status, response, request, spec);
        Assert.True(decision.Storable, decision.Reason);
        requestHeaders ??= [];
        return HttpCachePolicy.Build("k", decision, status, response, "body"u8.ToArray(), n => CacheVary.Normalize(requestHeaders[n]),
            _time.GetUtcNow(), _time.GetUtcNow(), TimeSpan.FromHours(1), "app.test", "/a", "");
    }

    private string Date(TimeSpan offset) => (_time.GetUtcNow() + offset).ToString("R");

    [Fact]
    public void ForRequest_PostRangeAndUpgrade_AreNotCacheable()
    {
        Assert.False(HttpCachePolicy.ForRequest("POST", new HeaderDictionary()).Cacheable);
        Assert.False(Get(("Range", "bytes=0-10")).Cacheable);
        Assert.False(Get(("Upgrade", "websocket")).Cacheable);
        Assert.True(HttpCachePolicy.ForRequest("HEAD", new HeaderDictionary()).Cacheable);
    }

    [Fact]
    public void ForRequest_PragmaNoCacheWithoutCacheControl_IsNoCache()
    {
        Assert.True(Get(("Pragma", "no-cache")).NoCache);
        Assert.False(Get(("Pragma", "no-cache"), ("Cache-Control", "max-age=10")).NoCache);
        Assert.True(Get(("Cache-Control", "no-cache")).NoCache);
    }

    [Fact]
    public void Evaluate_MaxAge_FreshForThatLong()
    {
        var decision = Evaluate(200, Headers(("Cache-Control", "public, max-age=60")));

        Assert.True(decision.Storable);
        Assert.Equal(TimeSpan.FromSeconds(60), decision.FreshnessLifetime);
        Assert.False(decision.MustRevalidate);
    }

    [Fact]
    public void Evaluate_SMaxAge_WinsOverMaxAgeAndForbidsStale()
    {
        var decision = Evaluate(200, Headers(("Cache-Control", "max-age=10, s-maxage=300, stale-if-error=60")));

        Assert.Equal(TimeSpan.FromSeconds(300), decision.FreshnessLifetime);
        Assert.True(decision.MustRevalidate);
        Assert.Equal(TimeSpan.Zero, decision.StaleIfError);
    }

    [Theory]
    [InlineData("no-store")]
    [InlineData("private, max-age=60")]
    [InlineData("private=\"Set-Cookie\", max-age=60")]
    public void Evaluate_NoStoreOrPrivate_NotStorable(string cacheControl) =>
        Assert.False(Evaluate(200, Headers(("Cache-Control", cacheControl))).Storable);

    [Fact]
    public void Evaluate_RequestNoStore_NotStorable() =>
        Assert.False(Evaluate(200, Headers(("Cache-Control", "max-age=60")), Get(("Cache-Control", "no-store"))).Storable);

    [Fact]
    public void Evaluate_Expires_FreshUntilExpiresRelativeToDate()
    {
        var decision = Evaluate(200, Headers(("Date", Date(TimeSpan.Zero)), ("Expires", Date(TimeSpan.FromMinutes(5)))));

        Assert.True(decision.Storable);
        Assert.Equal(TimeSpan.FromMinutes(5), decision.FreshnessLifetime);
    }

    [Fact]
    public void Evaluate_InvalidExpiresWithValidator_StoredButStale()
    {
        var decision = Evaluate(200, Headers(("Expires", "0"), ("ETag", "\"v1\"")));

        Assert.True(decision.Storable);
        Assert.Equal(TimeSpan.Zero, decision.FreshnessLifetime);
    }

    [Fact]
    public void Evaluate_MaxAgeWinsOverExpires()
    {
        var decision = Evaluate(200, Headers(("Cache-Control", "max-age=30"), ("Expires", Date(TimeSpan.FromHours(1)))));

        Assert.Equal(TimeSpan.FromSeconds(30), decision.FreshnessLifetime);
    }

    [Fact]
    public void Evaluate_NoFreshnessInformation_StoredOnlyWithDefaultTtl()
    {
        Assert.False(Evaluate(200, Headers(("Content-Type", "text/html"))).Storable);

        var decision = Evaluate(200, Headers(("Content-Type", "text/html")), spec: Spec with { DefaultTtl = TimeSpan.FromSeconds(42) });
        Assert.True(decision.Storable);
        Assert.Equal(TimeSpan.FromSeconds(42), decision.FreshnessLifetime);
    }

    [Fact]
    public void Evaluate_DefaultTtl_NotForStatusesThatNeedExplicitFreshness()
    {
        var spec = Spec with { DefaultTtl = TimeSpan.FromSeconds(42) };

        Assert.False(Evaluate(302, [], spec: spec).Storable);
        Assert.False(Evaluate(500, [], spec: spec).Storable);
        Assert.True(Evaluate(404, [], spec: spec).Storable);
        Assert.True(Evaluate(302, Headers(("Cache-Control", "max-age=5")), spec: spec).Storable);
    }

    [Fact]
    public void Evaluate_AuthorizationRequest_SharedOnlyWhenPublicOrSMaxAge()
    {
        var authorized = Get(("Authorization", "Bearer x"));

        Assert.False(Evaluate(200, Headers(("Cache-Control", "max-age=60")), authorized).Storable);
        Assert.True(Evaluate(200, Headers(("Cache-Control", "public, max-age=60")), authorized).Storable);
        Assert.True(Evaluate(200, Headers(("Cache-Control", "s-maxage=60")), authorized).Storable);
    }

    [Fact]
    public void Evaluate_SetCookie_SharedOnlyWhenPublicOrSMaxAge_AndTheCookieIsNotStored()
    {
        Assert.False(Evaluate(200, Headers(("Cache-Control", "max-age=60"), ("Set-Cookie", "s=1"))).Storable);

        var entry = Store(Headers(("Cache-Control", "public, max-age=60"), ("Set-Cookie", "s=1"), ("Content-Type", "text/plain")));
        Assert.Null(entry.Header("Set-Cookie"));
        Assert.Equal("text/plain", entry.Header("Content-Type"));
    }

    [Fact]
    public void Evaluate_VaryStar_NotStorable() =>
        Assert.False(Evaluate(200, Headers(("Cache-Control", "max-age=60"), ("Vary", "*"))).Storable);

    [Fact]
    public void Evaluate_VaryOnCookie_StaysOutOfTheSharedTier()
    {
        var decision = Evaluate(200, Headers(("Cache-Control", "max-age=60"), ("Vary", "Accept-Encoding, Cookie")));

        Assert.True(decision.Storable);
        Assert.False(decision.SharedTier);
        Assert.Equal(["accept-encoding", "cookie"], decision.VaryNames.ToArray());
    }

    [Fact]
    public void Evaluate_ContentTypes_OnlyListedTypesAndRanges()
    {
        var spec = Spec with { ContentTypes = ["text/html", "image/*"] };

        Assert.True(Evaluate(200, Headers(("Cache-Control", "max-age=60"), ("Content-Type", "text/html; charset=utf-8")), spec: spec).Storable);
        Assert.True(Evaluate(200, Headers(("Cache-Control", "max-age=60"), ("Content-Type", "image/png")), spec: spec).Storable);
        Assert.False(Evaluate(200, Headers(("Cache-Control", "max-age=60"), ("Content-Type", "application/json")), spec: spec).Storable);
        Assert.False(Evaluate(200, Headers(("Cache-Control", "max-age=60")), spec: spec).Storable);
    }

    [Fact]
    public void Evaluate_NoCacheWithoutValidator_NotStorable_WithValidator_StoredAlwaysStale()
    {
        Assert.False(Evaluate(200, Headers(("Cache-Control", "no-cache"))).Storable);

        var decision = Evaluate(200, Headers(("Cache-Control", "no-cache, max-age=600"), ("ETag", "\"v1\"")));
        Assert.True(decision.Storable);
        Assert.Equal(TimeSpan.Zero, decision.FreshnessLifetime);
        Assert.True(decision.MustRevalidate);
    }

    [Fact]
    public void Evaluate_AgeHeader_CountsTowardsAge()
    {
        var entry = Store(Headers(("Cache-Control", "max-age=60"), ("Age", "50")));

        Assert.True(HttpCachePolicy.Check(entry, Get(), _time.GetUtcNow()) == Usability.Fresh);
        _time.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal(Usability.Stale, HttpCachePolicy.Check(entry, Get(), _time.GetUtcNow()));
        Assert.Equal(TimeSpan.FromSeconds(61), entry.Age(_time.GetUtcNow()));
    }

    [Fact]
    public void CorrectedInitialAge_ApparentAgeFromAnOldDate()
    {
        var age = HttpCachePolicy.CorrectedInitialAge(Headers(("Date", Date(TimeSpan.FromSeconds(-30)))), _time.GetUtcNow(), _time.GetUtcNow());

        Assert.Equal(TimeSpan.FromSeconds(30), age);
    }

    [Fact]
    public void CorrectedInitialAge_AddsTheResponseDelayToAge()
    {
        var requestTime = _time.GetUtcNow();
        _time.Advance(TimeSpan.FromSeconds(2));
        var age = HttpCachePolicy.CorrectedInitialAge(Headers(("Age", "10"), ("Date", Date(TimeSpan.Zero))), requestTime, _time.GetUtcNow());

        Assert.Equal(TimeSpan.FromSeconds(12), age);
    }

    [Fact]
    public void Check_FreshThenStale_AsTheClockMoves()
    {
        var entry = Store(Headers(("Cache-Control", "max-age=60")));

        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(Usability.Fresh, HttpCachePolicy.Check(entry, Get(), _time.GetUtcNow()));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(Usability.Stale, HttpCachePolicy.Check(entry, Get(), _time.GetUtcNow()));
    }

    [Fact]
    public void Check_StaleWhileRevalidate_WithinTheWindowOnly()
    {
        var entry = Store(Headers(("Cache-Control", "max-age=10, stale-while-revalidate=30")));

        _time.Advance(TimeSpan.FromSeconds(25));
        Assert.Equal(Usability.StaleWhileRevalidate, HttpCachePolicy.Check(entry, Get(), _time.GetUtcNow()));
        _time.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(Usability.Stale, HttpCachePolicy.Check(entry, Get(), _time.GetUtcNow()));
    }

    [Fact]
    public void Check_MustRevalidate_NeverServedStale()
    {
        var entry = Store(Headers(("Cache-Control", "max-age=10, must-revalidate, stale-while-revalidate=30, stale-if-error=30")));

        _time.Advance(TimeSpan.FromSeconds(15));
        Assert.Equal(Usability.Stale, HttpCachePolicy.Check(entry, Get(("Cache-Control", "max-stale=100")), _time.GetUtcNow()));
        Assert.False(HttpCachePolicy.UsableOnError(entry, _time.GetUtcNow()));
    }

    [Fact]
    public void Check_RequestNoCacheOrMaxAgeZero_NeedsValidation()
    {
        var entry = Store(Headers(("Cache-Control", "max-age=60")));
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(Usability.Stale, HttpCachePolicy.Check(entry, Get(("Cache-Control", "no-cache")), _time.GetUtcNow()));
        Assert.Equal(Usability.Stale, HttpCachePolicy.Check(entry, Get(("Cache-Control", "max-age=0")), _time.GetUtcNow()));
        Assert.Equal(Usability.Fresh, HttpCachePolicy.Check(entry, Get(("Cache-Control", "max-age=5")), _time.GetUtcNow()));
    }

    [Fact]
    public void Check_MinFreshAndMaxStale()
    {
        var entry = Store(Headers(("Cache-Control", "max-age=60")));
        _time.Advance(TimeSpan.FromSeconds(50));

        Assert.Equal(Usability.Stale, HttpCachePolicy.Check(entry, Get(("Cache-Control", "min-fresh=20")), _time.GetUtcNow()));
        _time.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(Usability.Fresh, HttpCachePolicy.Check(entry, Get(("Cache-Control", "max-stale=15")), _time.GetUtcNow()));
        Assert.Equal(Usability.Fresh, HttpCachePolicy.Check(entry, Get(("Cache-Control", "max-stale")), _time.GetUtcNow()));
        Assert.Equal(Usability.Stale, HttpCachePolicy.Check(entry, Get(("Cache-Control", "max-stale=5")), _time.GetUtcNow()));
    }

    [Fact]
    public void UsableOnError_StaleIfErrorFromResponseOrAnnotation()
    {
        var fromResponse = Store(Headers(("Cache-Control", "max-age=10, stale-if-error=60")));
        var fromAnnotation = Store(Headers(("Cache-Control", "max-age=10")), spec: Spec with { StaleIfError = TimeSpan.FromSeconds(30) });
        var neither = Store(Headers(("Cache-Control", "max-age=10"), ("ETag", "\"x\"")));
        _time.Advance(TimeSpan.FromSeconds(35));
        Assert.True(HttpCachePolicy.UsableOnError(fromAnnotation, _time.GetUtcNow()));
        Assert.False(HttpCachePolicy.UsableOnError(neither, _time.GetUtcNow()));

        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.True(HttpCachePolicy.UsableOnError(fromResponse, _time.GetUtcNow()));
        Assert.False(HttpCachePolicy.UsableOnError(fromAnnotation, _time.GetUtcNow()));
    }

    [Fact]
    public void NotModified_IfNoneMatch_WeakComparisonAndStar()
    {
        string? Response(string name) => name == "ETag" ? "W/\"v1\"" : null;

        Assert.True(HttpCachePolicy.NotModified(Headers(("If-None-Match", "\"v0\", \"v1\"")), 200, Response));
        Assert.True(HttpCachePolicy.NotModified(Headers(("If-None-Match", "*")), 200, Response));
        Assert.False(HttpCachePolicy.NotModified(Headers(("If-None-Match", "\"v2\"")), 200, Response));
        Assert.False(HttpCachePolicy.NotModified(Headers(("If-None-Match", "\"v1\"")), 404, Response));
    }

    [Fact]
    public void NotModified_IfModifiedSince_IgnoredWhenIfNoneMatchIsPresent()
    {
        var lastModified = Date(TimeSpan.FromDays(-1));
        string? Response(string name) => name == "Last-Modified" ? lastModified : name == "ETag" ? "\"v1\"" : null;

        Assert.True(HttpCachePolicy.NotModified(Headers(("If-Modified-Since", Date(TimeSpan.Zero))), 200, Response));
        Assert.False(HttpCachePolicy.NotModified(Headers(("If-Modified-Since", Date(TimeSpan.FromDays(-2)))), 200, Response));
        Assert.False(HttpCachePolicy.NotModified(Headers(("If-Modified-Since", Date(TimeSpan.Zero)), ("If-None-Match", "\"v2\"")), 200, Response));
    }

    [Fact]
    public void Refresh_304_UpdatesHeadersAndFreshness_KeepsBody()
    {
        var entry = Store(Headers(("Cache-Control", "max-age=10"), ("ETag", "\"v1\""), ("Content-Type", "text/plain"), ("X-Version", "1")));
        _time.Advance(TimeSpan.FromSeconds(100));
        Assert.Equal(Usability.Stale, HttpCachePolicy.Check(entry, Get(), _time.GetUtcNow()));

        var (refreshed, storable) = HttpCachePolicy.Refresh(entry, Headers(("Cache-Control", "max-age=20"), ("X-Version", "2"), ("Content-Type", "text/html")),
            Get(), Spec, _time.GetUtcNow(), _time.GetUtcNow(), TimeSpan.FromHours(1));

        Assert.True(storable);
        Assert.Equal(Usability.Fresh, HttpCachePolicy.Check(refreshed, Get(), _time.GetUtcNow()));
        Assert.Equal(TimeSpan.FromSeconds(20), refreshed.FreshnessLifetime);
        Assert.Equal("2", refreshed.Header("X-Version"));
        Assert.Equal("text/plain", refreshed.Header("Content-Type"));
        Assert.Equal("body"u8.ToArray(), refreshed.Body);
    }

    [Fact]
    public void Refresh_304WithNoStore_ServedButNotStored()
    {
        var entry = Store(Headers(("Cache-Control", "max-age=10"), ("ETag", "\"v1\"")));

        var (_, storable) = HttpCachePolicy.Refresh(entry, Headers(("Cache-Control", "no-store")), Get(), Spec, _time.GetUtcNow(), _time.GetUtcNow(), TimeSpan.Zero);

        Assert.False(storable);
    }

    [Fact]
    public void Build_VaryValuesAndTags_FromRequestAndResponse()
    {
        var entry = Store(Headers(("Cache-Control", "max-age=10"), ("Vary", "Accept-Encoding"), ("Surrogate-Key", "a b"), ("Cache-Tag", "c, d")),
            requestHeaders: Headers(("Accept-Encoding", "gzip ,  br")));

        Assert.Equal([new CacheHeader("accept-encoding", "gzip,br")], entry.VaryValues.ToArray());
        Assert.Equal(["a", "b", "c", "d"], entry.Tags.ToArray());
        Assert.True(CacheVary.Matches(entry, n => n == "accept-encoding" ? "gzip,br" : ""));
        Assert.False(CacheVary.Matches(entry, n => ""));
    }

    [Fact]
    public void KeepUntil_RetainsResponsesWithValidatorsForRevalidation()
    {
        var withValidator = Store(Headers(("Cache-Control", "max-age=10"), ("ETag", "\"v\"")));
        var without = Store(Headers(("Cache-Control", "max-age=10, stale-if-error=5")));

        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromSeconds(10) + TimeSpan.FromHours(1), withValidator.KeepUntil);
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromSeconds(15), without.KeepUntil);
    }

    [Theory]
    [InlineData("max-age=60", 60)]
    [InlineData("max-age=\"60\"", 60)]
    [InlineData("max-age=abc", 0)]
    [InlineData("max-age=-1", 0)]
    [InlineData("max-age=99999999999999", int.MaxValue)]
    [InlineData("max-age=60, max-age=10", 60)]
    [InlineData("no-cache=\"Set-Cookie, X-A\", max-age=7", 7)]
    public void CacheControl_Parse_DeltaSeconds(string field, long seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), CacheControl.Parse(field).MaxAge);
}
