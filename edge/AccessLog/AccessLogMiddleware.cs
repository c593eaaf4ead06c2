using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Orleans.Proxy.Edge.Matching;
using Yarp.ReverseProxy.Model;

namespace Orleans.Proxy.Edge.AccessLog;

/// <summary>
/// Wraps every public request (added only when the log is enabled); for the logged ones (all, or a sample) it counts the response bytes
/// and, when the request is done, queues a line for <see cref="AccessLogWriter"/> without waiting.
/// The route is the one the matcher selected (its YARP route may serve others); cluster and destination come from YARP's record of the request.
/// </summary>
internal sealed class AccessLogMiddleware(RequestDelegate next, AccessLogWriter writer, TimeProvider time, IOptions<AccessLogOptions> options)
{
    private readonly double _sampleRate = options.Value.SampleRate;

    public Task InvokeAsync(HttpContext context)
    {
        if (_sampleRate < 1.0 && Random.Shared.NextDouble() >= _sampleRate)
        {
            return next(context);
        }

        return LogAsync(context);
    }

    private async Task LogAsync(HttpContext context)
    {
        var start = Stopwatch.GetTimestamp();
        var body = context.Response.Body;
        var counter = new ResponseCounter(body);
        context.Response.Body = counter;
        context.Features.Set<IAccessLogFeature>(counter);
        try
        {
            await next(context);
        }
        finally
        {
            context.Response.Body = body;
            var request = context.Request;
            var proxy = context.Features.Get<IReverseProxyFeature>();
            writer.TryWrite(new AccessLogEntry(
                time.GetUtcNow(),
                request.Method,
                request.Host.Value ?? "",
                request.Path.Value,
                context.Features.Get<RouteMatchFeature>()?.Route.RouteId,
                proxy?.Cluster?.Config.ClusterId,
                proxy?.ProxiedDestination?.DestinationId,
                context.Response.StatusCode,
                Stopwatch.GetElapsedTime(start).TotalMilliseconds,
                counter.Written,
                context.Connection.RemoteIpAddress,
                counter.RateLimit,
                counter.Cache));
        }
    }
}
