using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Orleans.Proxy.Hosting.Tls;
using Orleans.Proxy.Security;

namespace Orleans.Proxy.Silo.Hosting;

/// <summary>
/// The route-source proof key, derived from the private key of the silos' cluster certificate: every
/// silo mounts the same Secret, and no edge holds it. After a rotation the previous key is kept, since
/// the kubelet refreshes the Secret on each silo at its own moment.
/// </summary>
internal sealed class ClusterCertificateRouteSourceKeys(ClusterCertificateFiles files) : IRouteSourceKeys
{
    private readonly Lock _lock = new();
    private (X509Certificate2? Certificate, byte[][] Keys) _current = (null, []);

    public IReadOnlyList<byte[]> Keys
    {
        get
        {
            var certificate = files.Certificate;
            var current = _current;
            if (ReferenceEquals(certificate, current.Certificate))
            {
                return current.Keys;
            }

            lock (_lock)
            {
                if (!ReferenceEquals(certificate, _current.Certificate))
                {
                    var key = Derive(certificate);
                    var keys = _current.Keys.Length == 0 || _current.Keys[0].AsSpan().SequenceEqual(key) ? [key] : new[] { key, _current.Keys[0] };
                    _current = (certificate, keys);
                }

                return _current.Keys;
            }
        }
    }

    private static byte[] Derive(X509Certificate2 certificate)
    {
        using AsymmetricAlgorithm key = (AsymmetricAlgorithm?)certificate.GetECDsaPrivateKey() ?? certificate.GetRSAPrivateKey()
            ?? throw new InvalidOperationException($"{ClusterTlsOptions.Section}: the cluster certificate {certificate.Subject} has no ECDSA or RSA private key to prove route-source writes with");
        return HMACSHA256.HashData(key.ExportPkcs8PrivateKey(), "orleans-proxy route-source proof"u8);
    }
}
