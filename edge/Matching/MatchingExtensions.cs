using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Orleans.Proxy.Edge.Matching;

internal static class MatchingExtensions
{
    /// <summary>Our matcher, path normalization (section "Matching") and the forwarded-path transform.</summary>
    public static IReverseProxyBuilder AddRouteMatching(this IReverseProxyBuilder proxy, IConfiguration configuration)
    {
        proxy.Services.AddOptions<MatchingOptions>().Bind(configuration.GetSection(MatchingOptions.Section)).ValidateOnStart();
        proxy.Services.AddSingleton<RouteMatcher>();
        proxy.Services.AddSingleton<RouteMatchingMiddleware>();
        proxy.Services.AddSingleton<ITransformProvider, ForwardedPathTransformProvider>();
        return proxy;
    }

    /// <summary>Selects the route of each request; goes before UseRouting, which then keeps the endpoint set here.</summary>
    public static IApplicationBuilder UseRouteMatching(this IApplicationBuilder app)
    {
        var middleware = app.ApplicationServices.GetRequiredService<RouteMatchingMiddleware>();
        return app.Use((context, next) => middleware.InvokeAsync(context, next));
    }

    /// <summary>
    /// YARP with the given pipeline, its endpoints handed to <see cref="RouteMatcher"/> and taken out
    /// of ASP.NET Core routing: routing's matcher (case-insensitive, trailing-slash tolerant) never
    /// selects a proxy route, nor rebuilds its tables when routes change.
    /// </summary>
    public static WebApplication MapMatchedReverseProxy(this WebApplication app, Action<IReverseProxyApplicationBuilder> pipeline)
    {
        var endpoints = (IEndpointRouteBuilder)app;
        var before = endpoints.DataSources.ToList();
        app.MapReverseProxy(pipeline);
        var yarp = endpoints.DataSources.Where(s => !before.Contains(s)).ToList();
        var matcher = app.Services.GetRequiredService<RouteMatcher>();
        foreach (var source in yarp)
        {
            endpoints.DataSources.Remove(source);
            matcher.UseEndpoints(source);
        }

        return app;
    }

    /// <summary>
    /// The end of the public pipeline: runs the route the matcher selected (YARP's proxy pipeline).
    /// ASP.NET Core's endpoint step is not used: it runs only where routing has data sources, and
    /// YARP's are taken out of it.
    /// </summary>
    public static void RunMatchedRoute(this IApplicationBuilder app) => app.Run(context =>
    {
        if (context.GetEndpoint()?.RequestDelegate is { } proxy)
        {
            return proxy(context);
        }

        context.Response.StatusCode = StatusCodes.Status404NotFound;
        return Task.CompletedTask;
    });
}
