using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Proxy.Edge.Hosting;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Orleans.Proxy.Edge.IngressNginx;

internal static class IngressNginxExtensions
{
    /// <summary>ingress-nginx's upstream headers, response headers, fixed and www redirects and limit-connections, default-backend and mirror-target (the mirror is HTTPRoute's <see cref="HttpRoutes.RequestMirror"/>).</summary>
    public static IReverseProxyBuilder AddIngressNginx(this IReverseProxyBuilder proxy)
    {
        proxy.Services.AddSingleton<NginxRouteMiddleware>();
        proxy.Services.AddSingleton<ConnectionLimiter>();
        // The rate limiter and affinity register it too: one trusted-proxy list for all.
        proxy.Services.TryAddSingleton<ClientIpResolver>();
        proxy.Services.AddSingleton<ITransformProvider, NginxRouteTransformProvider>();
        return proxy;
    }

    /// <summary>Runs first: its redirects answer before any other step, and limit-connections counts the rest of the request.</summary>
    public static IReverseProxyApplicationBuilder UseIngressNginx(this IReverseProxyApplicationBuilder proxy)
    {
        var middleware = proxy.ApplicationServices.GetRequiredService<NginxRouteMiddleware>();
        proxy.Use((context, next) => middleware.InvokeAsync(context, next));
        return proxy;
    }

    /// <summary>Runs once access control, the body limit and the canary choice have passed the request: only a request that will be forwarded is mirrored.</summary>
    public static IReverseProxyApplicationBuilder UseIngressNginxForwarding(this IReverseProxyApplicationBuilder proxy)
    {
        var middleware = proxy.ApplicationServices.GetRequiredService<NginxRouteMiddleware>();
        proxy.Use((context, next) => middleware.BeforeForwardingAsync(context, next));
        return proxy;
    }
}
