using System.Collections.Immutable;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Orleans.Proxy.Caching;

namespace Orleans.Proxy.Edge.Caching;

/// <summary>What a request allows the cache to do (RFC 9111 sections 3, 4 and 5.2.1).</summary>
/// <param name="Cacheable">GET or HEAD, without Range or Upgrade: the cache may answer it or store its response.</param>
/// <param name="NoCache">A stored response may be used only after validation with the backend (no-cache, or Pragma: no-cache).</param>
/// <param name="NoStore">Its response must not be stored.</param>
internal sealed record RequestDirectives(
    bool Cacheable,
    string? BypassReason,
    bool Head,
    bool NoCache,
    bool NoStore,
    bool OnlyIfCached,
    TimeSpan? MaxAge,
    TimeSpan? MinFresh,
    TimeSpan? MaxStale,
    bool HasAuthorization);

/// <summary>Whether a response may be stored, and for how long it is fresh.</summary>
/// <param name="SharedTier">False when the response varies on credentials or cookies: it stays in this edge's memory.</param>
internal sealed record StoreDecision(
    bool Storable,
    string? Reason,
    TimeSpan FreshnessLifetime,
    TimeSpan CorrectedInitialAge,
    TimeSpan StaleWhileRevalidate,
    TimeSpan StaleIfError,
    bool MustRevalidate,
    ImmutableArray<string> VaryNames,
    bool SharedTier)
{
    public static StoreDecision No(string reason) => new(false, reason, default, default, default, default, false, [], false);
}

/// <summary>How a stored response may be used for a request, now.</summary>
internal enum Usability
{
    /// <summary>Fresh (or stale within what the request's max-stale accepts): serve it.</summary>
    Fresh,
    /// <summary>Stale within stale-while-revalidate: serve it while someone else revalidates.</summary>
    StaleWhileRevalidate,
    /// <summary>Must be validated (or fetched) before use.</summary>
    Stale,
}

/// <summary>
/// HTTP caching for a shared cache, by RFC 9111 (with RFC 5861's stale-while-revalidate and
/// stale-if-error): what is storable, how long it is fresh, when a stored response may be used,
/// how a 304 refreshes it, and how a client's conditional request is answered. Pure: every time
/// is an argument, so it is tested with a fake clock.
/// </summary>
internal static class HttpCachePolicy
{
    /// <summary>Codes whose responses may be stored without explicit freshness (RFC 9110 section 15.1, "heuristically cacheable").</summary>
    private static readonly HashSet<int> HeuristicallyCacheable = [200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501];

    /// <summary>Codes stored when the response gives explicit freshness (partial content and 304 never: this cache does not combine ranges).</summary>
    private static readonly HashSet<int> Understood = [200, 203, 204, 300, 301, 302, 303, 307, 308, 404, 405, 410, 414, 501];

    /// <summary>Not stored: hop-by-hop fields, Set-Cookie (never replayed to others), and Age (recomputed on every use).</summary>
    private static readonly HashSet<string> NotStored = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "Upgrade", "TE", "Trailer", "Proxy-Authenticate",
        "Proxy-Authorization", "Set-Cookie", "Age",
    };

    /// <summary>A 304 does not change these of the stored response (RFC 9111 section 3.2).</summary>
    private static readonly HashSet<string> NotUpdatedBy304 = new(StringComparer.OrdinalIgnoreCase)
    {
        "Content-Length", "Content-Encoding", "Content-Range", "Content-Type", "Transfer-Encoding",
    };

    /// <summary>Request headers never sent to the shared tier; a response varying on them stays in one edge's memory.</summary>
    private static readonly HashSet<string> PrivateRequestHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "authorization", "proxy-authorization", "cookie",
    };

    public static RequestDirectives ForRequest(string method, IHeaderDictionary headers)
    {
        var head = HttpMethods.IsHead(method);
        string? bypass = !HttpMethods.IsGet(method) && !head ? "method"
            : headers.ContainsKey(HeaderNames.Range) ? "range request"
            : headers.ContainsKey(HeaderNames.Upgrade) ? "upgrade request"
            : null;
        var cc = CacheControl.Parse(headers.CacheControl);
        // Pragma: no-cache counts only when the request has no Cache-Control (RFC 9111 section 5.4).
        var noCache = cc.NoCache || (headers.CacheControl.Count == 0 && headers.Pragma.Any(p => p?.Contains("no-cache", StringComparison.OrdinalIgnoreCase) == true));
        return new RequestDirectives(bypass is null, bypass, head, noCache, cc.NoStore, cc.OnlyIfCached, cc.MaxAge, cc.MinFresh, cc.MaxStale,
            headers.ContainsKey(HeaderNames.Authorization));
    }

    /// <summary>May this response to this request be stored, and with what freshness (RFC 9111 sections 3, 4.2.1, 4.2.3)?</summary>
    public static StoreDecision Evaluate(RequestDirectives request, int status, IHeaderDictionary response, CacheSpec spec,
        DateTimeOffset requestTime, DateTimeOffset responseTime)
    {
        if (!request.Cacheable || request.Head)
        {
            return StoreDecision.No(request.BypassReason ?? "HEAD responses are not stored");
        }

        if (request.NoStore)
        {
            return StoreDecision.No("request no-store");
        }

        var cc = CacheControl.Parse(response.CacheControl);
        if (cc.NoStore)
        {
            return StoreDecision.No("no-store");
        }

        if (cc.Private)
        {
            return StoreDecision.No("private");
        }

        var varyNames = VaryNames(response);
        if (varyNames is null)
        {
            return StoreDecision.No("Vary: *");
        }

        // RFC 9111 section 3.5: a response to an authenticated request is shared only when it says so.
        if (request.HasAuthorization && !cc.Public && cc.SharedMaxAge is null && !cc.MustRevalidate)
        {
            return StoreDecision.No("request with Authorization, response not public");
        }

        if (response.ContainsKey(HeaderNames.SetCookie) && !cc.Public && cc.SharedMaxAge is null)
        {
            return StoreDecision.No("Set-Cookie, response not public");
        }

        if (!spec.ContentTypes.IsDefaultOrEmpty && !ContentTypeAllowed(response.ContentType, spec.ContentTypes))
        {
            return StoreDecision.No("content type not in cache-content-types");
        }

        TimeSpan freshness;
        if (cc.SharedMaxAge is { } sMaxAge)
        {
            freshness = sMaxAge;
        }
        else if (cc.MaxAge is { } maxAge)
        {
            freshness = maxAge;
        }
        else if (response.ContainsKey(HeaderNames.Expires))
        {
            // An Expires that does not parse (e.g. "0") means already expired (section 5.3).
            var date = HttpDate(response.Date) ?? responseTime;
            freshness = HttpDate(response.Expires) is { } expires && expires > date ? expires - date : TimeSpan.Zero;
        }
        else if (spec.DefaultTtl is { } ttl && HeuristicallyCacheable.Contains(status))
        {
            freshness = ttl;
        }
        else if (cc.NoCache && HasValidator(response))
        {
            freshness = TimeSpan.Zero;
        }
        else
        {
            return StoreDecision.No("no freshness information (no max-age, s-maxage or Expires) and no cache-default-ttl");
        }

        if (!Understood.Contains(status))
        {
            return StoreDecision.No($"status {status} is not stored");
        }

        if (cc.NoCache)
        {
            freshness = TimeSpan.Zero;
        }

        var mustRevalidate = cc.MustRevalidate || cc.ProxyRevalidate || cc.SharedMaxAge is not null || cc.NoCache;
        var swr = mustRevalidate ? TimeSpan.Zero : cc.StaleWhileRevalidate ?? TimeSpan.Zero;
        var sie = mustRevalidate ? TimeSpan.Zero : cc.StaleIfError ?? spec.StaleIfError ?? TimeSpan.Zero;
        if (freshness == TimeSpan.Zero && swr == TimeSpan.Zero && sie == TimeSpan.Zero && !HasValidator(response))
        {
            return StoreDecision.No("stale on arrival, without a validator");
        }

        var initialAge = CorrectedInitialAge(response, requestTime, responseTime);
        var shared = !varyNames.Value.Any(PrivateRequestHeaders.Contains);
        return new StoreDecision(true, null, freshness, initialAge, swr, sie, mustRevalidate, varyNames.Value, shared);
    }

    /// <summary>RFC 9111 section 4.2.3: the larger of the apparent age and the Age header corrected by the response delay.</summary>
    public static TimeSpan CorrectedInitialAge(IHeaderDictionary response, DateTimeOffset requestTime, DateTimeOffset responseTime)
    {
        var ageValue = CacheControl.Seconds(response[HeaderNames.Age].FirstOrDefault());
        var date = HttpDate(response.Date) ?? responseTime;
        var apparent = responseTime > date ? responseTime - date : TimeSpan.Zero;
        var delay = responseTime > requestTime ? responseTime - requestTime : TimeSpan.Zero;
        var corrected = ageValue + delay;
        return apparent > corrected ? apparent : corrected;
    }

    /// <summary>May this stored response answer this request now (RFC 9111 section 4.2, request directives of 5.2.1)?</summary>
    public static Usability Check(CachedResponse entry, RequestDirectives request, DateTimeOffset now)
    {
        if (request.NoCache)
        {
            return Usability.Stale;
        }

        var age = entry.Age(now);
        if (request.MaxAge is { } maxAge && age > maxAge)
        {
            return Usability.Stale;
        }

        var remaining = entry.FreshnessLifetime - age;
        if (request.MinFresh is { } minFresh && remaining < minFresh)
        {
            return Usability.Stale;
        }

        if (remaining > TimeSpan.Zero)
        {
            return Usability.Fresh;
        }

        if (entry.MustRevalidate)
        {
            return Usability.Stale;
        }

        var staleness = -remaining;
        if (request.MaxStale is { } maxStale && staleness <= maxStale)
        {
            return Usability.Fresh;
        }

        return staleness < entry.StaleWhileRevalidate ? Usability.StaleWhileRevalidate : Usability.Stale;
    }

    /// <summary>When the backend fails (no destination, connection error, 5xx): may this stored response be served instead (RFC 5861 section 4)?</summary>
    public static bool UsableOnError(CachedResponse entry, DateTimeOffset now) =>
        entry.IsFresh(now) || (!entry.MustRevalidate && entry.Staleness(now) < entry.StaleIfError);

    public static bool HasValidator(IHeaderDictionary response) =>
        response.ContainsKey(HeaderNames.ETag) || response.ContainsKey(HeaderNames.LastModified);

    public static bool HasValidator(CachedResponse entry) =>
        entry.Header(HeaderNames.ETag) is not null || entry.Header(HeaderNames.LastModified) is not null;

    /// <summary>Sets If-None-Match / If-Modified-Since from the stored response's validators (RFC 9111 section 4.3.1).</summary>
    public static void AddValidators(IHeaderDictionary request, CachedResponse entry)
    {
        if (entry.Header(HeaderNames.ETag) is { } etag)
        {
            request.IfNoneMatch = etag;
        }

        if (entry.Header(HeaderNames.LastModified) is { } lastModified)
        {
            request.IfModifiedSince = lastModified;
        }
    }

    /// <summary>
    /// Is a stored (or just received) 200 "not modified" for the client's conditional request
    /// (RFC 9110 sections 13.1.2, 13.1.3, 13.2.2)? If-None-Match wins over If-Modified-Since.
    /// </summary>
    public static bool NotModified(IHeaderDictionary request, int status, Func<string, string?> responseHeader)
    {
        if (status != StatusCodes.Status200OK)
        {
            return false;
        }

        if (request.IfNoneMatch.Count > 0)
        {
            var etag = responseHeader(HeaderNames.ETag);
            if (etag is null)
            {
                return false;
            }

            foreach (var field in request.IfNoneMatch)
            {
                foreach (var tag in (field ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    if (tag == "*" || OpaqueTag(tag) == OpaqueTag(etag))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        if (request.IfModifiedSince.Count > 0 && HttpDate(request.IfModifiedSince) is { } since)
        {
            var lastModified = HttpDate(responseHeader(HeaderNames.LastModified)) ?? HttpDate(responseHeader(HeaderNames.Date));
            return lastModified is { } modified && modified <= since;
        }

        return false;
    }

    /// <summary>
    /// A stored response refreshed by a 304 (RFC 9111 section 4.3.4): the 304's fields replace the
    /// stored ones (but not the body's), and freshness is computed anew. Null when the result may no
    /// longer be stored (it is still served to the request that validated it).
    /// </summary>
    public static (CachedResponse Refreshed, bool Storable) Refresh(CachedResponse stored, IHeaderDictionary notModified, RequestDirectives request,
        CacheSpec spec, DateTimeOffset requestTime, DateTimeOffset responseTime, TimeSpan retention)
    {
        var merged = new HeaderDictionary();
        foreach (var header in stored.Headers)
        {
            merged.Append(header.Name, header.Value);
        }

        foreach (var (name, values) in notModified)
        {
            if (!NotUpdatedBy304.Contains(name) && !NotStored.Contains(name))
            {
                merged[name] = values;
            }
        }

        var decision = Evaluate(request with { NoStore = false }, stored.Status, merged, spec, requestTime, responseTime);
        var refreshed = stored with
        {
            Headers = StoredHeaders(merged),
            RequestTime = requestTime,
            ResponseTime = responseTime,
            CorrectedInitialAge = decision.Storable ? decision.CorrectedInitialAge : TimeSpan.Zero,
            FreshnessLifetime = decision.Storable ? decision.FreshnessLifetime : TimeSpan.Zero,
            StaleWhileRevalidate = decision.StaleWhileRevalidate,
            StaleIfError = decision.StaleIfError,
            MustRevalidate = decision.MustRevalidate,
        };
        return (refreshed with { KeepUntil = KeepUntil(refreshed, retention) }, decision.Storable && !request.NoStore);
    }

    /// <summary>The stored response for a storable decision.</summary>
    public static CachedResponse Build(string key, StoreDecision decision, int status, IHeaderDictionary response, byte[] body,
        Func<string, string> requestHeader, DateTimeOffset requestTime, DateTimeOffset responseTime, TimeSpan retention,
        string host, string path, string query)
    {
        var entry = new CachedResponse(key, status, StoredHeaders(response), body,
            [.. decision.VaryNames.Select(n => new CacheHeader(n, requestHeader(n)))],
            requestTime, responseTime, decision.CorrectedInitialAge, decision.FreshnessLifetime, decision.StaleWhileRevalidate,
            decision.StaleIfError, decision.MustRevalidate, default, Tags(response), host, path, query);
        return entry with { KeepUntil = KeepUntil(entry, retention) };
    }

    /// <summary>
    /// Past every stale allowance, and, when the response has a validator, past a retention in
    /// which it can still be revalidated with a 304 instead of fetched again.
    /// </summary>
    public static DateTimeOffset KeepUntil(CachedResponse entry, TimeSpan retention)
    {
        var staleFor = entry.StaleWhileRevalidate > entry.StaleIfError ? entry.StaleWhileRevalidate : entry.StaleIfError;
        if (HasValidator(entry) && retention > staleFor)
        {
            staleFor = retention;
        }

        var stale = entry.ResponseTime - entry.CorrectedInitialAge + entry.FreshnessLifetime;
        return stale + staleFor;
    }

    /// <summary>The lower-case, sorted names of Vary; null for "*".</summary>
    public static ImmutableArray<string>? VaryNames(IHeaderDictionary response)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var field in response.Vary)
        {
            foreach (var name in (field ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (name == "*")
                {
                    return null;
                }

                names.Add(name.ToLowerInvariant());
            }
        }

        return [.. names];
    }

    /// <summary>Request headers for the shared tier's Vary matching: lower-case names, normalized values, no credentials or cookies.</summary>
    public static ImmutableArray<CacheHeader> SharedRequestHeaders(IHeaderDictionary request)
    {
        var headers = ImmutableArray.CreateBuilder<CacheHeader>(request.Count);
        foreach (var (name, values) in request)
        {
            if (!PrivateRequestHeaders.Contains(name) && !name.StartsWith(':'))
            {
                headers.Add(new CacheHeader(name.ToLowerInvariant(), CacheVary.Normalize(values)));
            }
        }

        return headers.ToImmutable();
    }

    /// <summary>Surrogate-Key (space-separated) and Cache-Tag (comma-separated) values.</summary>
    public static ImmutableArray<string> Tags(IHeaderDictionary response)
    {
        var tags = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var field in response["Surrogate-Key"])
        {
            foreach (var tag in (field ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                tags.Add(tag);
            }
        }

        foreach (var field in response["Cache-Tag"])
        {
            foreach (var tag in (field ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                tags.Add(tag);
            }
        }

        return [.. tags];
    }

    public static bool ContentTypeAllowed(string? contentType, ImmutableArray<string> allowed)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return false;
        }

        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        var mediaType = (semicolon < 0 ? contentType : contentType[..semicolon]).Trim().ToLowerInvariant();
        var slash = mediaType.IndexOf('/', StringComparison.Ordinal);
        foreach (var range in allowed)
        {
            if (range == mediaType || (range.EndsWith("/*", StringComparison.Ordinal) && slash > 0 && range.AsSpan(0, range.Length - 1).SequenceEqual(mediaType.AsSpan(0, slash + 1))))
            {
                return true;
            }
        }

        return false;
    }

    public static DateTimeOffset? HttpDate(string? value) =>
        value is not null && HeaderUtilities.TryParseDate(value, out var date) ? date : null;

    private static DateTimeOffset? HttpDate(Microsoft.Extensions.Primitives.StringValues value) =>
        value.Count == 1 ? HttpDate(value[0]) : null;

    private static ImmutableArray<CacheHeader> StoredHeaders(IHeaderDictionary response)
    {
        var headers = ImmutableArray.CreateBuilder<CacheHeader>(response.Count);
        foreach (var (name, values) in response)
        {
            if (NotStored.Contains(name))
            {
                continue;
            }

            foreach (var value in values)
            {
                if (value is not null)
                {
                    headers.Add(new CacheHeader(name, value));
                }
            }
        }

        return headers.ToImmutable();
    }

    /// <summary>An entity tag without its weakness marker, for the weak comparison If-None-Match uses.</summary>
    private static string OpaqueTag(string tag) => tag.StartsWith("W/", StringComparison.Ordinal) ? tag[2..] : tag;

    internal static string Format(TimeSpan age) => ((long)Math.Max(0, age.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
}
