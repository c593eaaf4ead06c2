using System.Collections.Immutable;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Proxy.Routing;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Orleans.Proxy.Edge.HttpRoutes;

internal static class HttpRoutesExtensions
{
    /// <summary>Gateway API HTTPRoute filters and traffic split: the pipeline step, its transforms and the mirror limits (section "HttpRoutes").</summary>
    public static IReverseProxyBuilder AddHttpRoutes(this IReverseProxyBuilder proxy, IConfiguration configuration)
    {
        proxy.Services.AddOptions<HttpRoutesOptions>().Bind(configuration.GetSection(HttpRoutesOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        proxy.Services.AddSingleton<RequestMirror>();
        proxy.Services.AddSingleton<HttpRouteMiddleware>();
        proxy.Services.AddSingleton<ITransformProvider, HttpRouteTransformProvider>();
        return proxy;
    }

    /// <summary>Runs before load balancing, so the traffic split changes the destinations it picks from.</summary>
    public static IReverseProxyApplicationBuilder UseHttpRoutes(this IReverseProxyApplicationBuilder proxy)
    {
        var middleware = proxy.ApplicationServices.GetRequiredService<HttpRouteMiddleware>();
        proxy.Use((context, next) => middleware.InvokeAsync(context, next));
        return proxy;
    }

    /// <summary>
    /// The route's HTTPRoute filters in its metadata; a route without a valid backend names the no-backend cluster.
    /// Without what only selects requests (method, listener, precedence order: the matcher reads them from the
    /// route itself), so the matches of one rule share one YARP route.
    /// </summary>
    public static RouteConfig WithHttpRoute(this RouteConfig config, RouteSpec route)
    {
        if (!HttpRouteFilters.Needed(route))
        {
            return config;
        }

        var rule = route.HttpRoute! with { Method = null, Order = 0, Listeners = RouteListeners.Both };
        var metadata = new Dictionary<string, string>(config.Metadata ?? ImmutableDictionary<string, string>.Empty, StringComparer.Ordinal)
        {
            [HttpRouteFilters.MetadataKey] = JsonSerializer.Serialize(new HttpRouteFilters(route.ClusterId, rule)),
        };
        return config with
        {
            ClusterId = route.ClusterId.Length == 0 ? HttpRouteFilters.NoBackendClusterId : config.ClusterId,
            Metadata = metadata,
        };
    }
}
