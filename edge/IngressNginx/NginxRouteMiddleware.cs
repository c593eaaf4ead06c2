using Microsoft.AspNetCore.Http;
using Orleans.Proxy.Edge.Hosting;
using Orleans.Proxy.Edge.HttpRoutes;
using Orleans.Proxy.Edge.Matching;
using Orleans.Proxy.Edge.Routing;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.Edge.IngressNginx;

/// <summary>
/// The proxy pipeline steps for routes with <see cref="NginxRouteSpec"/>, in nginx's phase order.
/// <see cref="InvokeAsync"/>, first: the www twin's redirect (from-to-www-redirect), then a fixed redirect
/// (temporal-redirect, permanent-redirect with its code), answered before ssl-redirect as nginx's return
/// runs before ingress-nginx's Lua redirect; then limit-connections (503 above it, counted until the
/// answer is sent). <see cref="BeforeForwardingAsync"/>, after access control, the body limit and the canary
/// choice: default-backend's cluster when the chosen one has no available destination, then the mirror's
/// copy (mirror-target; nginx mirrors in its precontent phase). Header changes are transforms
/// (<see cref="NginxRouteTransformProvider"/>).
/// </summary>
internal sealed class NginxRouteMiddleware(RequestMirror mirror, ConnectionLimiter connections, ClientIpResolver clientIp, BackendStates backends)
{
    public Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (NginxRouteFeatures.For(context.GetReverseProxyFeature().Route.Config) is not { } spec)
        {
            return next(context);
        }

        var request = context.Request;
        if (spec.RedirectToHost is { } host)
        {
            // The path as matched (still percent-encoded), as ingress-nginx's $request_uri.
            var path = context.Features.Get<RouteMatchFeature>()?.Path ?? (request.PathBase + request.Path).ToUriComponent();
            return Redirect(context, StatusCodes.Status308PermanentRedirect, $"{request.Scheme}://{host}{path}{request.QueryString}");
        }

        if (spec.Redirect is { } redirect)
        {
            return Redirect(context, redirect.StatusCode, redirect.Location);
        }

        return spec.ConnectionLimit is { } limit && context.Connection.RemoteIpAddress is not null ? LimitedAsync(context, next, limit) : next(context);
    }

    public Task BeforeForwardingAsync(HttpContext context, RequestDelegate next)
    {
        var proxy = context.GetReverseProxyFeature();
        if (NginxRouteFeatures.For(proxy.Route.Config) is not { } spec)
        {
            return next(context);
        }

        if (spec.FallbackClusterId is { } fallback && proxy.AvailableDestinations.Count == 0)
        {
            backends.TryReassign(context, fallback);
        }

        return spec.Mirror is { } target ? MirroredAsync(context, next, proxy.Route, target) : next(context);
    }

    private async Task LimitedAsync(HttpContext context, RequestDelegate next, NginxConnectionLimit limit)
    {
        var client = clientIp.Resolve(context);
        if (!connections.TryEnter(limit.Zone, client, limit.Limit))
        {
            // ingress-nginx's limit-conn-status-code.
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        try
        {
            await next(context);
        }
        finally
        {
            connections.Exit(limit.Zone, client);
        }
    }

    private async Task MirroredAsync(HttpContext context, RequestDelegate next, Yarp.ReverseProxy.Model.RouteModel route, NginxMirror target)
    {
        await mirror.StartAsync(context, route, [new MirrorSpec(target.ClusterId, 100)], target.RequestBody);
        await next(context);
    }

    private static Task Redirect(HttpContext context, int status, string location)
    {
        context.Response.StatusCode = status;
        context.Response.Headers.Location = location;
        return Task.CompletedTask;
    }
}
