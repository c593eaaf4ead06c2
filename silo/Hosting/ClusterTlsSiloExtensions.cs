using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Configuration;
using Orleans.Connections.Security;
using Orleans.Proxy.Hosting;
using Orleans.Proxy.Hosting.Tls;
using Orleans.Proxy.Security;

namespace Orleans.Proxy.Silo.Hosting;

public static class ClusterTlsSiloExtensions
{
    /// <summary>
    /// Mutual TLS on the silo-to-silo and gateway listeners and on the silo's outgoing connections,
    /// when Cluster:Tls says so: a peer without a certificate of the cluster CA fails the handshake,
    /// before any message, and on silo-to-silo connections a peer without a silo's certificate too. The certificate is chosen per handshake, so a rotated one is picked up.
    /// </summary>
    public static ISiloBuilder UseClusterTls(this ISiloBuilder silo, IConfiguration configuration, ClusteringMode clustering)
    {
        var files = configuration.LoadClusterCertificates(clustering, server: true);
        silo.Services.AddClusterTlsLogging(files, clustering);
        if (files is null)
        {
            return silo.Configure<SiloConnectionOptions>(connections => connections.ConfigureGatewayInboundConnection(builder => builder.Use(HostedClientIdGuard.Use)));
        }

        // Route-source writes are then proven with the silos' key, not taken on the caller's word.
        silo.Services.RemoveAll<IRouteSourceKeys>();
        silo.Services.AddSingleton<IRouteSourceKeys>(new ClusterCertificateRouteSourceKeys(files));
        var options = configuration.GetSection(ClusterTlsOptions.Section).Get<ClusterTlsOptions>()!;
        TlsOptions Tls(RemoteCertificateValidator validate) => new()
        {
            LocalServerCertificateSelector = (_, _) => files.Certificate,
            LocalClientCertificateSelector = (_, _, _, _, _) => files.Certificate,
            RemoteCertificateMode = RemoteCertificateMode.RequireCertificate,
            RemoteCertificateValidation = validate,
            HandshakeTimeout = options.HandshakeTimeout,
        };

        // Orleans' UseTls gives every listener one policy; here the silo port takes only silos and the
        // gateway takes edges too (ClusterCertificateFiles.IsTrustedSilo says why).
        var silos = Tls((certificate, chain, _) => files.IsTrustedSilo(certificate, chain));
        var clients = Tls((certificate, chain, _) => files.IsTrustedPeer(certificate, chain));
        return silo.Configure<SiloConnectionOptions>(connections =>
        {
            connections.ConfigureSiloInboundConnection(builder => builder.UseServerTls(silos));
            connections.ConfigureSiloOutboundConnection(builder => builder.UseClientTls(silos));
            connections.ConfigureGatewayInboundConnection(builder =>
            {
                builder.UseServerTls(clients);
                builder.Use(HostedClientIdGuard.Use);
            });
        });
    }
}
