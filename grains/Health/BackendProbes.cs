using System.Net;
using Microsoft.Extensions.DependencyInjection;

namespace Orleans.Proxy.Routing;

/// <summary>Registers the HttpClient the backend grains probe with; every silo needs it.</summary>
public static class BackendProbes
{
    public const string HttpClientName = "orleans-proxy-probe";

    public static IServiceCollection AddBackendProbes(this IServiceCollection services)
    {
        services.AddHttpClient(HttpClientName)
            // A probe every few seconds per destination would flood the log; results are in /diag/backends.
            .RemoveAllLoggers()
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                // A probe judges the destination itself: no redirects followed, no proxy, fresh DNS now and then.
                AllowAutoRedirect = false,
                UseProxy = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(1),
                ConnectTimeout = TimeSpan.FromSeconds(5),
                AutomaticDecompression = DecompressionMethods.None,
            });
        return services;
    }
}
