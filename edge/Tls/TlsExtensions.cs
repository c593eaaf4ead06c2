using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Proxy.Edge.Hosting;

namespace Orleans.Proxy.Edge.Tls;

internal static class TlsExtensions
{
    public static IServiceCollection AddEdgeTls(this IServiceCollection services)
    {
        services.AddSingleton<TlsCertificateStore>();
        services.AddSingleton<TlsCertificateSync>();
        services.AddHostedService(sp => sp.GetRequiredService<TlsCertificateSync>());
        return services;
    }

    /// <summary>The HTTPS listener (Edge:HttpsPort, off when 0): HTTP/1.1 and HTTP/2, certificate by SNI from the grains, the default one for any other name.</summary>
    public static void ListenHttps(this KestrelServerOptions kestrel, IPAddress address, EdgeOptions edge)
    {
        if (edge.HttpsPort == 0)
        {
            return;
        }

        var services = kestrel.ApplicationServices;
        var store = services.GetRequiredService<TlsCertificateStore>();
        var listeners = services.GetRequiredService<EdgeListeners>();
        kestrel.Listen(address, edge.HttpsPort, listen =>
        {
            listeners.Https = listen;
            listen.Protocols = HttpProtocols.Http1AndHttp2;
            listen.UseHttps(new HttpsConnectionAdapterOptions
            {
                ServerCertificateSelector = (_, serverName) => store.Select(serverName),
            });
        });
    }
}
