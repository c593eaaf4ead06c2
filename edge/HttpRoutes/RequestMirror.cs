using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Proxy.Edge.Matching;
using Orleans.Proxy.Edge.Routing;
using Orleans.Proxy.Routing;
using Yarp.ReverseProxy.Model;

namespace Orleans.Proxy.Edge.HttpRoutes;

/// <summary>
/// HTTPRequestMirrorFilter: a copy of the request goes to a destination of each mirror's cluster,
/// fire-and-forget; its answer is discarded and never reaches the client nor delays its answer.
/// The copy is built by the route's own YARP transformer, so it carries what the backend gets
/// (forwarded path and query, headers with the route's header filter and rewritten host applied),
/// and sent with the mirror cluster's own client from YARP's IForwarderHttpClientFactory (its TLS,
/// connect timeout and connection pool). IHttpForwarder is not used: it writes the answer to the
/// client's response, which a mirror must never touch.
/// </summary>
internal sealed partial class RequestMirror(
    BackendStates backends,
    IOptions<HttpRoutesOptions> options,
    TimeProvider time,
    ILogger<RequestMirror> logger)
{
    private readonly HttpRoutesOptions _options = options.Value;
    private int _inFlight;

    /// <summary>
    /// Starts the mirrors' copies of this request (each with its share), reading a small body first
    /// so that both the copies and the forwarded request can send it. Returns once they are started.
    /// </summary>
    /// <param name="withBody">False: the copies carry no body (ingress-nginx's mirror-request-body: off).</param>
    public async ValueTask StartAsync(HttpContext context, RouteModel route, IReadOnlyList<MirrorSpec> mirrors, bool withBody = true)
    {
        byte[]? body = null;
        var bodyRead = false;
        foreach (var mirror in mirrors)
        {
            if (mirror.Percent < 100 && Random.Shared.Next(100) >= mirror.Percent)
            {
                continue;
            }

            if (!backends.TryGetCluster(mirror.ClusterId, out var cluster) || cluster.Model.HttpClient is not { } client
                || cluster.DestinationsState.AvailableDestinations is not { Count: > 0 } destinations)
            {
                LogNoDestination(mirror.ClusterId);
                continue;
            }

            if (!bodyRead && withBody)
            {
                bodyRead = true;
                if (!TryBody(context, out var length))
                {
                    LogBodyNotMirrored(MatchedRouteId(context), _options.MirrorBodyLimit);
                    return;
                }

                try
                {
                    body = length > 0 ? await ReadBodyAsync(context.Request, length) : null;
                }
                catch (Exception e) when (e is IOException or OperationCanceledException)
                {
                    // A body cut short: nothing to mirror; forwarding meets the same end and answers as it always does.
                    LogBodyNotMirrored(MatchedRouteId(context), _options.MirrorBodyLimit);
                    return;
                }
            }

            if (Interlocked.Increment(ref _inFlight) > _options.MirrorsInFlight)
            {
                Interlocked.Decrement(ref _inFlight);
                LogTooMany(mirror.ClusterId, _options.MirrorsInFlight);
                continue;
            }

            var destination = destinations[Random.Shared.Next(destinations.Count)];
            HttpRequestMessage message;
            try
            {
                message = await CopyAsync(context, route, cluster, destination.Model.Config.Address, body);
            }
            catch
            {
                Interlocked.Decrement(ref _inFlight);
                throw;
            }

            _ = SendAsync(client, message, mirror.ClusterId);
        }
    }

    /// <summary>The route's own id (its YARP route may serve others), for the log.</summary>
    private static string MatchedRouteId(HttpContext context) => context.Features.GetRequiredFeature<RouteMatchFeature>().Route.RouteId;

    /// <summary>A body the copies can carry: none, or one of known length up to the limit (read into memory).</summary>
    private bool TryBody(HttpContext context, out long length)
    {
        length = context.Request.ContentLength ?? 0;
        if (context.Features.Get<IHttpRequestBodyDetectionFeature>() is { CanHaveBody: false })
        {
            length = 0;
            return true;
        }

        return context.Request.ContentLength is { } known && known <= _options.MirrorBodyLimit;
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, long length)
    {
        // Buffered, so the forwarded request reads the same bytes from the start.
        request.EnableBuffering();
        var body = new byte[length];
        await request.Body.ReadExactlyAsync(body, request.HttpContext.RequestAborted);
        request.Body.Position = 0;
        return body;
    }

    private static async Task<HttpRequestMessage> CopyAsync(HttpContext context, RouteModel route, ClusterState cluster, string destinationPrefix, byte[]? body)
    {
        var settings = cluster.Model.Config.HttpRequest;
        var message = new HttpRequestMessage
        {
            Method = HttpMethod.Parse(context.Request.Method),
            // YARP's defaults for a cluster that sets none.
            Version = settings?.Version ?? HttpVersion.Version20,
            VersionPolicy = settings?.VersionPolicy ?? HttpVersionPolicy.RequestVersionOrLower,
            // Set before the transformer runs: it copies the content headers onto it.
            Content = body is null ? null : new ByteArrayContent(body),
        };
        await route.Transformer.TransformRequestAsync(context, message, destinationPrefix, context.RequestAborted);
        if (body is null)
        {
            // The transformer gives a request that has a body content promising its length; a copy without the body must not.
            message.Content = null;
        }

        return message;
    }

    private async Task SendAsync(HttpMessageInvoker client, HttpRequestMessage message, string clusterId)
    {
        try
        {
            // Not the client's RequestAborted: the copy may outlive the request it copies.
            using var timeout = new CancellationTokenSource(_options.MirrorTimeout, time);
            using var response = await client.SendAsync(message, timeout.Token);
            LogMirrored(clusterId, (int)response.StatusCode);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            LogFailed(clusterId, e.Message);
        }
        finally
        {
            message.Dispose();
            Interlocked.Decrement(ref _inFlight);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Mirror cluster {ClusterId} has no available destination: request not mirrored")]
    private partial void LogNoDestination(string clusterId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Route {RouteId}: request body of unknown length or above {Limit} bytes: request not mirrored")]
    private partial void LogBodyNotMirrored(string routeId, int limit);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Mirror cluster {ClusterId}: {Limit} mirrored requests already in flight: request not mirrored")]
    private partial void LogTooMany(string clusterId, int limit);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Mirror cluster {ClusterId} answered {Status} (discarded)")]
    private partial void LogMirrored(string clusterId, int status);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Mirror cluster {ClusterId} failed: {Reason}")]
    private partial void LogFailed(string clusterId, string reason);
}
