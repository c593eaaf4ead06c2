using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Orleans.Proxy.Edge.IngressFeatures;

internal static class IngressFeaturesExtensions
{
    /// <summary>The ingress-nginx annotation behaviours: regex paths, rewrites, connect timeouts, and the pipeline step.</summary>
    public static IReverseProxyBuilder AddIngressFeatures(this IReverseProxyBuilder proxy)
    {
        proxy.Services.TryAddEnumerable(ServiceDescriptor.Singleton<MatcherPolicy, RegexPathMatcherPolicy>());
        proxy.Services.AddSingleton<ITransformProvider, RewriteTransformProvider>();
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
