using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Configuration;

namespace Orleans.Proxy.Edge.Routing;

internal static class RoutingExtensions
{
    /// <summary>Puts <see cref="ConfigValidationCache"/> in front of the validator YARP registered, for YARP and <see cref="RouteTableCache"/> alike.</summary>
    public static IReverseProxyBuilder AddConfigValidationCache(this IReverseProxyBuilder proxy)
    {
        var yarp = proxy.Services.Last(s => s.ServiceType == typeof(IConfigValidator));
        proxy.Services.Remove(yarp);
        proxy.Services.AddSingleton(services => new ConfigValidationCache((IConfigValidator)(yarp.ImplementationInstance
            ?? yarp.ImplementationFactory?.Invoke(services)
            ?? ActivatorUtilities.CreateInstance(services, yarp.ImplementationType!))));
        proxy.Services.AddSingleton<IConfigValidator>(services => services.GetRequiredService<ConfigValidationCache>());
        return proxy;
    }
}
