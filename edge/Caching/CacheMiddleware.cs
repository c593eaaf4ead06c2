using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Orleans.Proxy.Caching;
using Orleans.Proxy.Diagnostics;
using Orleans.Proxy.Edge.AccessLog;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Orleans.Proxy.Edge.Caching;

/// <summary>
/// The cache step of YARP's pipeline, for routes with a cache spec. A request is answered from the
/// memory tier when it can be (no grain call); otherwise one request per key on this edge asks the
/// shared tier, which either answers, or lets it fetch (the other edges wait for that fetch), and
/// the others on this edge wait for it. A fetch goes through the rest of YARP's pipeline (load
/// balancing, health, affinity) with the stored response's validators, and its answer is stored,
/// or, for a 304 or a failure, replaced by the stored response.
/// </summary>
internal sealed partial class CacheMiddleware(
    EdgeCache cache,
    SharedCacheClient shared,
    TimeProvider time,
    IOptions<CachingOptions> options,
    ProxyMetrics metrics,
    ILogger<CacheMiddleware> logger)
{
    /// <summary>Sent with a 304 when the full response would carry them (RFC 9110 section 15.4.5).</summary>
    private static readonly string[] NotModifiedHeaders =
    [
        HeaderNames.CacheControl, HeaderNames.ContentLocation, HeaderNames.Date, HeaderNames.ETag, HeaderNames.Expires, HeaderNames.Vary, HeaderNames.LastModified,
    ];

    private readonly CachingOptions _options = options.Value;

    // Not async on routes without a cache: no state machine for those requests.
    public Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var proxy = context.GetReverseProxyFeature();
        return CacheRoutes.For(proxy.Route.Config) is { } spec ? CachedAsync(context, next, proxy, spec) : next(context);
    }

    private async Task CachedAsync(HttpContext context, RequestDelegate next, IReverseProxyFeature proxy, CacheSpec spec)
    {
        var request = context.Request;
        var directives = HttpCachePolicy.ForRequest(request.Method, request.Headers);
        var key = Key(request, proxy.Cluster?.Config.ClusterId ?? string.Empty, spec);
        if (!directives.Cacheable)
        {
            await BypassAsync(context, next, key);
            return;
        }

        var now = time.GetUtcNow();
        string Header(string name) => CacheVary.Normalize(request.Headers[name]);
        var stored = cache.Memory.Find(key, Header);
        var usability = stored is null ? Usability.Stale : HttpCachePolicy.Check(stored, directives, now);
        if (stored is not null && usability == Usability.Fresh)
        {
            await ServeAsync(context, stored, CacheStatus.Hit, now);
            return;
        }

        if (directives.OnlyIfCached)
        {
            // RFC 9111 section 5.2.1.7: nothing usable stored.
            Label(context, CacheStatus.Miss);
            context.Response.StatusCode = StatusCodes.Status504GatewayTimeout;
            return;
        }

        if (directives.NoCache || directives.Head)
        {
            // Validation the client asked for, or a HEAD: straight to the backend, no waiting for others.
            await FetchAsync(context, next, spec, directives, key, stored, fillToken: 0, sharedMark: null);
            return;
        }

        if (!cache.TryLead(key, out var flight))
        {
            if (stored is not null && usability == Usability.StaleWhileRevalidate)
            {
                await ServeAsync(context, stored, CacheStatus.Stale, now);
                return;
            }

            await FollowAsync(context, next, spec, directives, key, stored, flight);
            return;
        }

        try
        {
            await LeadAsync(context, next, spec, directives, key, stored, flight);
        }
        finally
        {
            cache.Land(key, flight);
        }
    }

    /// <summary>Another request on this edge is fetching the key: wait for it (bounded), then use what it stored, or fetch.</summary>
    private async Task FollowAsync(HttpContext context, RequestDelegate next, CacheSpec spec, RequestDirectives directives, string key, CachedResponse? stored, TaskCompletionSource flight)
    {
        try
        {
            await flight.Task.WaitAsync(_options.CollapseTimeout, time, context.RequestAborted);
        }
        catch (TimeoutException)
        {
            LogCollapseTimedOut(logger, key);
        }

        var now = time.GetUtcNow();
        var filled = cache.Memory.Find(key, name => CacheVary.Normalize(context.Request.Headers[name]));
        if (filled is not null && HttpCachePolicy.Check(filled, directives, now) == Usability.Fresh)
        {
            await ServeAsync(context, filled, CacheStatus.Collapsed, now);
            return;
        }

        await FetchAsync(context, next, spec, directives, key, filled ?? stored, fillToken: 0, sharedMark: null);
    }

    /// <summary>The one request on this edge that looks further: the shared tier, then the backend.</summary>
    private async Task LeadAsync(HttpContext context, RequestDelegate next, CacheSpec spec, RequestDirectives directives, string key, CachedResponse? stored, TaskCompletionSource flight)
    {
        if (!_options.SharedTier)
        {
            await FetchAsync(context, next, spec, directives, key, stored, fillToken: 0, sharedMark: null);
            return;
        }

        var mark = cache.Memory.PurgeMark;
        var found = await shared.LookupAsync(key, context.Request.Headers, context.RequestAborted);
        var now = time.GetUtcNow();
        switch (found)
        {
            case { Outcome: SharedLookupOutcome.Hit, Entry: { } entry } when HttpCachePolicy.Check(entry, directives, now) == Usability.Fresh:
                cache.Memory.Set(entry, mark);
                cache.Land(key, flight);
                await ServeAsync(context, entry, found.Collapsed ? CacheStatus.Collapsed : CacheStatus.Hit, now);
                return;
            case { Outcome: SharedLookupOutcome.Stale, Entry: { } entry }:
                cache.Memory.Set(entry, mark);
                cache.Land(key, flight);
                await ServeAsync(context, entry, CacheStatus.Stale, now);
                return;
            case { Outcome: SharedLookupOutcome.Fill }:
                await FetchAsync(context, next, spec, directives, key, Newest(stored, found.Entry), found.FillToken, found.PurgeMark);
                return;
            default:
                // Hit not fresh enough for this request, Backend (another fetch took too long), or no answer.
                await FetchAsync(context, next, spec, directives, key, Newest(stored, found?.Entry), fillToken: 0, sharedMark: found?.PurgeMark);
                return;
        }
    }

    /// <summary>
    /// Forwards the request (with the stored response's validators, without the client's own) and
    /// decides when the answer starts: store it, replace a 304 or a failure by the stored response,
    /// or just pass it on.
    /// </summary>
    private async Task FetchAsync(HttpContext context, RequestDelegate next, CacheSpec spec, RequestDirectives directives, string key,
        CachedResponse? stored, long fillToken, long? sharedMark)
    {
        var request = context.Request;
        var response = context.Response;
        var requestTime = time.GetUtcNow();
        var localMark = cache.Memory.PurgeMark;
        var limit = Math.Min(spec.MaxObjectSize ?? _options.MaxObjectBytes, _options.MaxObjectBytes);

        // The client's conditional headers are answered here, from what is stored; the backend gets ours.
        var clientIfNoneMatch = request.Headers.IfNoneMatch;
        var clientIfModifiedSince = request.Headers.IfModifiedSince;
        var clientConditional = clientIfNoneMatch.Count > 0 || clientIfModifiedSince.Count > 0;
        var validating = stored is not null && HttpCachePolicy.HasValidator(stored) && !directives.Head;
        if (!directives.Head)
        {
            request.Headers.Remove(HeaderNames.IfNoneMatch);
            request.Headers.Remove(HeaderNames.IfModifiedSince);
            if (validating)
            {
                HttpCachePolicy.AddValidators(request.Headers, stored!);
            }
        }

        StoreDecision? decision = null;
        var notModifiedForClient = false;
        CaptureMode Decide()
        {
            var status = response.StatusCode;
            var at = time.GetUtcNow();
            RestoreClientConditionals(request, clientIfNoneMatch, clientIfModifiedSince);
            if (validating && status == StatusCodes.Status304NotModified)
            {
                return CaptureMode.Discard;
            }

            if (status >= 500 && stored is not null && HttpCachePolicy.UsableOnError(stored, at))
            {
                return CaptureMode.Discard;
            }

            decision = HttpCachePolicy.Evaluate(directives, status, response.Headers, spec, requestTime, at);
            if (decision.Storable && response.ContentLength > limit)
            {
                decision = StoreDecision.No("larger than the largest object stored");
            }

            Label(context, CacheStatus.Miss);
            if (!decision.Storable)
            {
                return CaptureMode.Pass;
            }

            notModifiedForClient = clientConditional && HttpCachePolicy.NotModified(request.Headers, status, name => response.Headers[name].FirstOrDefault());
            return notModifiedForClient ? CaptureMode.CaptureOnly : CaptureMode.Tee;
        }

        var body = context.Features.Get<IHttpResponseBodyFeature>()!;
        var capture = new ResponseCapture(body, Decide, limit);
        context.Features.Set<IHttpResponseBodyFeature>(capture);
        try
        {
            await next(context);
        }
        catch
        {
            // Nothing is stored; the edges waiting for this fetch go to the backend.
            shared.Release(key, fillToken);
            throw;
        }
        finally
        {
            context.Features.Set(body);
            RestoreClientConditionals(request, clientIfNoneMatch, clientIfModifiedSince);
        }

        var mode = capture.Decide();
        var now = time.GetUtcNow();
        var failed = context.Features.Get<IForwarderErrorFeature>() is not null;
        switch (mode)
        {
            case CaptureMode.Discard when validating && response.StatusCode == StatusCodes.Status304NotModified:
            {
                var (refreshed, storable) = HttpCachePolicy.Refresh(stored!, response.Headers, directives, spec, requestTime, now, _options.StaleRetention);
                if (storable)
                {
                    Store(refreshed, key, localMark, fillToken, sharedMark, sharedAllowed: true);
                }
                else
                {
                    shared.Release(key, fillToken);
                }

                Reset(response);
                await ServeAsync(context, refreshed, CacheStatus.Revalidated, now);
                return;
            }

            case CaptureMode.Discard:
                shared.Release(key, fillToken);
                LogServedStaleOnError(logger, key, response.StatusCode);
                Reset(response);
                await ServeAsync(context, stored!, CacheStatus.Stale, now);
                return;

            case CaptureMode.Tee or CaptureMode.CaptureOnly when !failed && capture.Body is { } copied && decision is { Storable: true } storeDecision:
            {
                var entry = HttpCachePolicy.Build(key, storeDecision, response.StatusCode, response.Headers, copied,
                    name => CacheVary.Normalize(request.Headers[name]), requestTime, now, _options.StaleRetention,
                    request.Host.Host.ToLowerInvariant(), request.Path.Value ?? "/", request.QueryString.Value ?? string.Empty);
                Store(entry, key, localMark, fillToken, sharedMark, storeDecision.SharedTier);
                if (mode == CaptureMode.CaptureOnly)
                {
                    Reset(response);
                    await ServeAsync(context, entry, CacheStatus.Miss, now);
                }

                return;
            }

            default:
                shared.Release(key, fillToken);
                if (mode == CaptureMode.CaptureOnly && !response.HasStarted)
                {
                    // Too large to store, but the client's conditional matched: a 304 from the headers received.
                    var headers = response.Headers.ToDictionary(h => h.Key, h => h.Value, StringComparer.OrdinalIgnoreCase);
                    Reset(response);
                    response.StatusCode = StatusCodes.Status304NotModified;
                    foreach (var name in NotModifiedHeaders)
                    {
                        if (headers.TryGetValue(name, out var values))
                        {
                            response.Headers[name] = values;
                        }
                    }

                    Label(context, CacheStatus.Miss);
                }
                else if (capture.Mode is null or CaptureMode.Pass)
                {
                    Label(context, CacheStatus.Miss);
                }

                return;
        }
    }

    /// <summary>Not a lookup (method, Range, Upgrade); an unsafe method that succeeded invalidates the URL (RFC 9111 section 4.4).</summary>
    private async Task BypassAsync(HttpContext context, RequestDelegate next, string key)
    {
        Label(context, CacheStatus.Bypass);
        if (_options.StatusHeader)
        {
            context.Response.OnStarting(static state =>
            {
                var (ctx, name) = ((HttpContext, string))state;
                ctx.Response.Headers[name] = CacheStatus.Bypass;
                return Task.CompletedTask;
            }, (context, _options.StatusHeaderName));
        }

        await next(context);
        var method = context.Request.Method;
        if (!HttpMethods.IsGet(method) && !HttpMethods.IsHead(method) && !HttpMethods.IsOptions(method) && !HttpMethods.IsTrace(method)
            && context.Response.StatusCode is >= 200 and < 400)
        {
            var request = context.Request;
            var purge = new CachePurge(CachePurgeKind.Url, request.Host.Host.ToLowerInvariant(), (request.Path.Value ?? "/") + request.QueryString.Value);
            cache.Memory.Purge(purge);
            if (_options.SharedTier)
            {
                shared.Invalidate(key, purge);
            }
        }
    }

    private void Store(CachedResponse entry, string key, long localMark, long fillToken, long? sharedMark, bool sharedAllowed)
    {
        var evicted = cache.Memory.Set(entry, localMark);
        if (evicted > 0)
        {
            metrics.CacheEvicted("memory", evicted);
        }

        if (evicted >= 0)
        {
            cache.CountBytes(entry.Body.LongLength, served: false);
            metrics.CacheBytes(entry.Body.LongLength, fromCache: false);
        }

        if (_options.SharedTier && sharedAllowed && sharedMark is { } mark && entry.Body.LongLength <= _options.SharedMaxObjectBytes)
        {
            shared.Store(entry, fillToken, mark);
        }
        else
        {
            shared.Release(key, fillToken);
        }
    }

    /// <summary>Writes a stored response (or a 304 when the client's conditional request matches it).</summary>
    private async Task ServeAsync(HttpContext context, CachedResponse entry, string status, DateTimeOffset now)
    {
        var request = context.Request;
        var response = context.Response;
        var notModified = HttpCachePolicy.NotModified(request.Headers, entry.Status, entry.Header);
        response.StatusCode = notModified ? StatusCodes.Status304NotModified : entry.Status;
        foreach (var header in entry.Headers)
        {
            if (!notModified || NotModifiedHeaders.Contains(header.Name, StringComparer.OrdinalIgnoreCase))
            {
                response.Headers.Append(header.Name, header.Value);
            }
        }

        response.Headers.Age = HttpCachePolicy.Format(entry.Age(now));
        Label(context, status);
        if (notModified)
        {
            return;
        }

        response.ContentLength = entry.Body.LongLength;
        if (!HttpMethods.IsHead(request.Method) && entry.Body.Length > 0)
        {
            await response.Body.WriteAsync(entry.Body, context.RequestAborted);
            if (status != CacheStatus.Miss)
            {
                cache.CountBytes(entry.Body.LongLength, served: true);
                metrics.CacheBytes(entry.Body.LongLength, fromCache: true);
            }
        }
    }

    /// <summary>Records how the request was served (once: the last call wins before the response starts).</summary>
    private void Label(HttpContext context, string status)
    {
        if (context.Items.TryAdd(LabelKey, status))
        {
            cache.Count(status);
            metrics.CacheRequest(status);
        }

        context.Features.Get<IAccessLogFeature>()?.Cache = status;
        if (_options.StatusHeader && !context.Response.HasStarted)
        {
            context.Response.Headers[_options.StatusHeaderName] = status;
        }
    }

    private static readonly object LabelKey = new();

    private static void Reset(HttpResponse response)
    {
        response.Headers.Clear();
        response.StatusCode = StatusCodes.Status200OK;
    }

    private static void RestoreClientConditionals(HttpRequest request, StringValues ifNoneMatch, StringValues ifModifiedSince)
    {
        request.Headers.IfNoneMatch = ifNoneMatch;
        request.Headers.IfModifiedSince = ifModifiedSince;
    }

    private static CachedResponse? Newest(CachedResponse? a, CachedResponse? b) =>
        a is null ? b : b is null ? a : (b.ResponseTime - b.CorrectedInitialAge > a.ResponseTime - a.CorrectedInitialAge ? b : a);

    /// <summary>Cluster, scheme, host, path and query, and the route's cache-vary-headers values.</summary>
    internal static string Key(HttpRequest request, string clusterId, CacheSpec spec)
    {
        var key = new StringBuilder(clusterId.Length + 64);
        key.Append(clusterId).Append(' ').Append(request.Scheme).Append("://").Append(request.Host.Value?.ToLowerInvariant())
            .Append(request.PathBase.Value).Append(request.Path.Value).Append(request.QueryString.Value);
        if (!spec.VaryHeaders.IsDefaultOrEmpty)
        {
            foreach (var name in spec.VaryHeaders)
            {
                key.Append('\n').Append(name).Append('=').Append(CacheVary.Normalize(request.Headers[name]));
            }
        }

        return key.ToString();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Waited the collapse timeout for the fetch of {Key}; fetching it too")]
    private static partial void LogCollapseTimedOut(ILogger logger, string key);

    [LoggerMessage(Level = LogLevel.Information, Message = "Backend failed ({Status}) for {Key}: served the stored response (stale-if-error)")]
    private static partial void LogServedStaleOnError(ILogger logger, string key, int status);
}
