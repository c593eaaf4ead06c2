using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Orleans.Proxy.Edge.IngressFeatures;

internal static class IngressFeaturesExtensions
{
    /// <summary>The ingress-nginx annotation behaviours: connect timeouts and the pipeline step (regex paths and rewrites are the matcher's).</summary>
    public static IReverseProxyBuilder AddIngressFeatures(this IReverseProxyBuilder proxy)
    {
        proxy.Services.AddSingleton<IForwarderHttpClientFactory, IngressHttpClientFactory>();
        proxy.Services.AddSingleton<IngressFeatureMiddleware>();
        return proxy;
    }

    /// <summary>Runs before load balancing, so a canary choice changes the destinations it picks from.</summary>
    public static IReverseProxyApplicationBuilder UseIngressFeatures(this IReverseProxyApplicationBuilder proxy)
    {
        var middleware = proxy.ApplicationServices.GetRequiredService<IngressFeatureMiddleware>();
        proxy.Use((context, next) => middleware.InvokeAsync(context, next));
        return proxy;
    }
}
