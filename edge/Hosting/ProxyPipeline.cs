using Orleans.Proxy.Edge.IngressFeatures;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Proxy.Edge.Affinity;
using Orleans.Proxy.Edge.Authentication;
using Orleans.Proxy.Edge.Cors;
using Orleans.Proxy.Edge.Caching;
using Orleans.Proxy.Edge.ControllerDefaults;
using Orleans.Proxy.Edge.Health;
using Orleans.Proxy.Edge.HttpRoutes;
using Orleans.Proxy.Edge.IngressNginx;
using Yarp.ReverseProxy.Model;

namespace Orleans.Proxy.Edge.Hosting;

/// <summary>YARP's proxy pipeline with the edge's own steps in place.</summary>
internal static class ProxyPipeline
{
    public static void Configure(IReverseProxyApplicationBuilder proxy)
    {
        var reporter = proxy.ApplicationServices.GetRequiredService<PassiveHealthReporter>();
        var affinity = proxy.ApplicationServices.GetRequiredService<AffinityMiddleware>();
        // Strict-Transport-Security (controller ConfigMap hsts) on every HTTPS response, the edge's own answers included.
        proxy.UseControllerDefaults();
        // ingress-nginx's www and fixed redirects first, then limit-connections.
        proxy.UseIngressNginx();
        // Redirects, source ranges, body size and canary choice come before any backend is picked.
        proxy.UseIngressFeatures();
        // CORS (a preflight is answered here), then authentication: a refused request reaches no backend.
        proxy.UseEdgeCors();
        proxy.UseEdgeAuthentication();
        // default-backend when the chosen cluster has no destination; mirror-target copies only what passed all of the above.
        proxy.UseIngressNginxForwarding();
        // HTTPRoute redirects, traffic split and mirrors, also before any backend is picked.
        proxy.UseHttpRoutes();
        // Answers from the cache before any backend is picked; a fetch goes through the steps below.
        proxy.UseEdgeCaching();
        // Then: it sees the final outcome of the request.
        proxy.Use((context, next) => reporter.InvokeAsync(context, next));
        proxy.UseSessionAffinity();
        // Before load balancing: narrows the (already health-filtered) destinations to the pinned one.
        proxy.Use((context, next) => affinity.InvokeAsync(context, next));
        proxy.UseLoadBalancing();
        proxy.UsePassiveHealthChecks();
    }
}
