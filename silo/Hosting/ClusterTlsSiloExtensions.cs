using Microsoft.Extensions.Configuration;
using Orleans.Connections.Security;
using Orleans.Proxy.Hosting;
using Orleans.Proxy.Hosting.Tls;

namespace Orleans.Proxy.Silo.Hosting;

public static class ClusterTlsSiloExtensions
{
    /// <summary>
    /// Mutual TLS on the silo-to-silo and gateway listeners and on the silo's outgoing connections,
    /// when Cluster:Tls says so: a peer without a certificate of the cluster CA fails the handshake,
    /// before any message. The certificate is chosen per handshake, so a rotated one is picked up.
    /// </summary>
    public static ISiloBuilder UseClusterTls(this ISiloBuilder silo, IConfiguration configuration, ClusteringMode clustering)
    {
        var files = configuration.LoadClusterCertificates(clustering, server: true);
        silo.Services.AddClusterTlsLogging(files, clustering);
        if (files is null)
        {
            return silo;
        }

        var options = configuration.GetSection(ClusterTlsOptions.Section).Get<ClusterTlsOptions>()!;
        return silo.UseTls(tls =>
        {
            tls.LocalServerCertificateSelector = (_, _) => files.Certificate;
            tls.LocalClientCertificateSelector = (_, _, _, _, _) => files.Certificate;
            tls.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
            tls.RemoteCertificateValidation = (certificate, chain, _) => files.IsTrustedPeer(certificate, chain);
            tls.HandshakeTimeout = options.HandshakeTimeout;
        });
    }
}
