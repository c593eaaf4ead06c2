using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Proxy.Edge.Hosting;

namespace Orleans.Proxy.Edge.Affinity;

public static class AffinityExtensions
{
    /// <summary>Sticky sessions pinned by the affinity grains and cached on this edge.</summary>
    public static IServiceCollection AddEdgeAffinity(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AffinityOptions>().Bind(configuration.GetSection(AffinityOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        // The rate limiter registers it too: one trusted-proxy list for both.
        services.TryAddSingleton<ClientIpResolver>();
        services.AddSingleton<AffinityPins>();
        services.AddHostedService(sp => sp.GetRequiredService<AffinityPins>());
        services.AddSingleton<AffinityMiddleware>();
        return services;
    }

    /// <summary>GET /diag/affinity: this edge's cache of pins and how often it had to ask a grain or fall back.</summary>
    internal static void MapAffinityDiagnostics(this IEndpointRouteBuilder diag) =>
        diag.MapGet("/affinity", (AffinityPins pins) => new
        {
            cachedKeys = pins.Count,
            grainLookups = pins.Lookups,
            fallbacks = pins.Fallbacks,
            fallbacksByReason = pins.FallbacksByReason(),
        });
}
