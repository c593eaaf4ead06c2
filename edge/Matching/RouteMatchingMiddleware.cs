using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Orleans.Proxy.Edge.Matching;

/// <summary>
/// Before ASP.NET Core routing: selects the request's route with <see cref="RouteMatcher"/> and sets
/// its YARP endpoint, which routing then keeps. No match: 404; a path normalization refuses: 400.
/// Either way nothing reaches a backend.
/// </summary>
internal sealed partial class RouteMatchingMiddleware(RouteMatcher matcher, ILogger<RouteMatchingMiddleware> logger)
{
    public Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        var rawPath = string.IsNullOrEmpty(rawTarget) ? (request.PathBase + request.Path).ToUriComponent() : PathNormalizer.PathOfTarget(rawTarget);
        var result = matcher.Match(request.Host.Value, rawPath, request);
        if (result.Match is { } match)
        {
            context.Features.Set(match);
            context.SetEndpoint(match.Endpoint);
            return next(context);
        }

        if (!result.Path.IsValid)
        {
            LogRefused(rawTarget, result.Path.Error!);
        }

        context.Response.StatusCode = result.StatusCode;
        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Refused request target {Target}: {Reason}")]
    private partial void LogRefused(string? target, string reason);
}
