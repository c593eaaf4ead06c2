using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Orleans.Proxy.Edge.Matching;
using Orleans.Proxy.Edge.Routing;

namespace Orleans.Proxy.Edge.IngressFeatures;

/// <summary>
/// First step of the proxy pipeline, after a route matched and before a destination is picked:
/// redirects (ssl-redirect, permanent-redirect, app-root, in nginx's rewrite-phase order), then
/// source ranges (403), then the body size limit (413), then the canary choice.
/// </summary>
internal sealed class IngressFeatureMiddleware(BackendStates backends)
{
    public Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var proxy = context.GetReverseProxyFeature();
        var features = IngressRouteFeatures.For(proxy.Route.Config);
        if (features is null)
        {
            return next(context);
        }

        var request = context.Request;
        var settings = features.Features;
        // The path as matched (normalized, still percent-encoded), so a redirect names what was routed.
        var matched = context.Features.Get<RouteMatchFeature>();
        if (settings.SslRedirect && !request.IsHttps)
        {
            var path = matched?.Path ?? (request.PathBase + request.Path).ToUriComponent();
            return Redirect(context, StatusCodes.Status308PermanentRedirect,
                $"https://{request.Host.Host}{path}{request.QueryString}");
        }

        if (settings.PermanentRedirect is { } target)
        {
            return Redirect(context, StatusCodes.Status301MovedPermanently, target);
        }

        if (settings.AppRoot is { } appRoot && (matched?.MatchPath ?? request.Path.Value) == "/")
        {
            return Redirect(context, StatusCodes.Status302Found, appRoot);
        }

        if (!features.Admits(context.Connection.RemoteIpAddress))
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return Task.CompletedTask;
        }

        if (settings.MaxRequestBodySize is long max)
        {
            long? limit = max == 0 ? null : max;
            if (request.ContentLength > limit)
            {
                context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
                return Task.CompletedTask;
            }

            // A chunked body is cut off by Kestrel once it passes the limit.
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
            {
                bodySize.MaxRequestBodySize = limit;
            }
        }

        if (settings.Canary is { } canary && CanaryChooser.ToCanary(request, canary))
        {
            backends.TryReassign(context, canary.ClusterId);
        }

        return next(context);
    }

    private static Task Redirect(HttpContext context, int status, string location)
    {
        context.Response.StatusCode = status;
        context.Response.Headers.Location = location;
        return Task.CompletedTask;
    }
}
