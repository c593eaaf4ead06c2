using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Proxy.Diagnostics;
using Orleans.Proxy.Security;

namespace Orleans.Proxy;

public static class GrainServices
{
    /// <summary>
    /// What the proxy's grains need from the silo's container (the silo host and test clusters call this),
    /// including the filter that keeps route-source-only methods from cluster clients.
    /// </summary>
    public static IServiceCollection AddOrleansProxyGrainServices(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ProxyMetrics>();
        services.TryAddSingleton<IRouteSourceKeys, NoRouteSourceKeys>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IIncomingGrainCallFilter, RouteSourceOnlyCallFilter>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IOutgoingGrainCallFilter, RouteSourceProofCallFilter>());
        services.AddOptions<Caching.CacheShardOptions>().BindConfiguration(Caching.CacheShardOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Options.IValidateOptions<Caching.CacheShardOptions>, Caching.CacheShardOptionsValidator>());
        return services;
    }
}
