using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy;

namespace Orleans.Proxy.Edge.ControllerDefaults;

internal static class ControllerDefaultsExtensions
{
    /// <summary>
    /// First step of the proxy pipeline: an HTTPS response of a route with hsts carries Strict-Transport-Security,
    /// whether the backend or the edge (a redirect, 403, 413) answers; the backend's own value is replaced, as nginx's
    /// more_set_headers does. Plain HTTP responses never carry it (RFC 6797 section 7.2).
    /// </summary>
    public static IReverseProxyApplicationBuilder UseControllerDefaults(this IReverseProxyApplicationBuilder proxy)
    {
        proxy.Use((context, next) =>
        {
            if (context.Request.IsHttps && ControllerDefaultsRoutes.Hsts(context.GetReverseProxyFeature().Route.Config) is { } hsts)
            {
                context.Response.OnStarting(() =>
                {
                    context.Response.Headers.StrictTransportSecurity = hsts;
                    return Task.CompletedTask;
                });
            }

            return next(context);
        });
        return proxy;
    }
}
