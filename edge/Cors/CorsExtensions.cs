using Microsoft.Extensions.DependencyInjection;

namespace Orleans.Proxy.Edge.Cors;

internal static class CorsExtensions
{
    /// <summary>ingress-nginx's enable-cors: ASP.NET Core's CORS service evaluates each route's policy.</summary>
    public static IReverseProxyBuilder AddEdgeCors(this IReverseProxyBuilder proxy)
    {
        proxy.Services.AddCors();
        proxy.Services.AddSingleton<CorsMiddleware>();
        return proxy;
    }

    /// <summary>Before authentication, as in nginx: a preflight carries no credentials, and a 401 still gets the CORS headers.</summary>
    public static IReverseProxyApplicationBuilder UseEdgeCors(this IReverseProxyApplicationBuilder proxy)
    {
        var middleware = proxy.ApplicationServices.GetRequiredService<CorsMiddleware>();
        proxy.Use((context, next) => middleware.InvokeAsync(context, next));
        return proxy;
    }
}
