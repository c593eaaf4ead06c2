using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Orleans.Proxy.Edge.Authentication;

internal static class AuthenticationExtensions
{
    /// <summary>ingress-nginx's Basic (auth-type) and external (auth-url) authentication, checked by the edge.</summary>
    public static IReverseProxyBuilder AddEdgeAuthentication(this IReverseProxyBuilder proxy, IConfiguration configuration)
    {
        proxy.Services.AddOptions<AuthenticationOptions>().Bind(configuration.GetSection(AuthenticationOptions.Section)).ValidateOnStart();
        proxy.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AuthenticationOptions>, AuthenticationOptionsValidator>());
        proxy.Services.AddSingleton<ExternalAuthenticator>();
        proxy.Services.AddSingleton<AuthenticationMiddleware>();
        return proxy;
    }

    /// <summary>After the route's redirects, source ranges and CORS; before the cache and any backend.</summary>
    public static IReverseProxyApplicationBuilder UseEdgeAuthentication(this IReverseProxyApplicationBuilder proxy)
    {
        var middleware = proxy.ApplicationServices.GetRequiredService<AuthenticationMiddleware>();
        proxy.Use((context, next) => middleware.InvokeAsync(context, next));
        return proxy;
    }
}
