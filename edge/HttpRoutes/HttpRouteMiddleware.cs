using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Orleans.Proxy.Edge.Matching;
using Orleans.Proxy.Edge.Routing;

namespace Orleans.Proxy.Edge.HttpRoutes;

/// <summary>
/// The HTTPRoute step of the proxy pipeline, after a route matched and before a destination is
/// picked: RequestRedirect answers (no backend is called); else the traffic split picks the
/// cluster (500 for the share of invalid backends, or when none is valid); then the mirrors get
/// their copies. Header filters and the URLRewrite are YARP transforms (<see cref="HttpRouteTransformProvider"/>).
/// An Ingress route has no filters: one metadata look-up, then the next step.
/// </summary>
internal sealed partial class HttpRouteMiddleware(BackendStates backends, RequestMirror mirror, ILogger<HttpRouteMiddleware> logger)
{
    public Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var proxy = context.GetReverseProxyFeature();
        return HttpRouteFilters.For(proxy.Route.Config) is { } filters ? ApplyAsync(context, next, proxy.Route, filters) : next(context);
    }

    private async Task ApplyAsync(HttpContext context, RequestDelegate next, Yarp.ReverseProxy.Model.RouteModel route, HttpRouteFilters.Compiled filters)
    {
        var rule = filters.Rule;
        var match = context.Features.GetRequiredFeature<RouteMatchFeature>();
        if (rule.Redirect is { } redirect)
        {
            var path = redirect.Path is { } modifier ? PathModifiers.Apply(modifier, match.Path, match.MatchPath, match.Route.Path) : match.Path;
            context.Response.StatusCode = RedirectLocation.StatusCode(redirect);
            context.Response.Headers.Location = RedirectLocation.Build(redirect, context.Request, path);
            return;
        }

        var clusterId = filters.ClusterFor(filters.TotalWeight > 0 ? Random.Shared.Next(filters.TotalWeight) : 0);
        if (clusterId.Length == 0)
        {
            // The spec's answer for a request that would go to an invalid backend.
            LogNoBackend(match.Route.RouteId);
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return;
        }

        if (clusterId != route.Cluster?.ClusterId && !backends.TryReassign(context, clusterId))
        {
            LogNoBackend(match.Route.RouteId);
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return;
        }

        if (!filters.Mirrors.IsEmpty)
        {
            await mirror.StartAsync(context, route, filters.Mirrors);
        }

        await next(context);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Route {RouteId}: the request's share of the backends is not valid: 500")]
    private partial void LogNoBackend(string routeId);
}
