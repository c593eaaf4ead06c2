using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Orleans.Proxy.Edge.Tls;

/// <summary>
/// The certificate per host name that the HTTPS listener presents, chosen by SNI on every handshake
/// from the latest map: a rotated certificate is used by the next connection, with no restart.
/// A name with no certificate (or no SNI at all) gets the default certificate, as with ingress-nginx:
/// the Secret named by the controller's default-ssl-certificate when the cluster has one, else a
/// self-signed certificate generated when the edge starts.
/// </summary>
internal sealed class TlsCertificateStore
{
    public const string SelfSignedSubject = "CN=Orleans.Proxy Default Certificate, O=Orleans.Proxy";

    private ImmutableDictionary<string, X509Certificate2> _byHost = ImmutableDictionary<string, X509Certificate2>.Empty;
    private X509Certificate2? _clusterDefault;

    /// <summary>The certificate generated at start, presented while the cluster names no default certificate.</summary>
    public X509Certificate2 SelfSigned { get; } = CreateSelfSigned();

    /// <summary>What a name without a certificate of its own gets.</summary>
    public X509Certificate2 Default => Volatile.Read(ref _clusterDefault) ?? SelfSigned;

    /// <summary>True while <see cref="Default"/> comes from the cluster's default-ssl-certificate Secret.</summary>
    public bool DefaultFromCluster => Volatile.Read(ref _clusterDefault) is not null;

    /// <summary>Sets the cluster's default certificate; null goes back to the self-signed one.</summary>
    public void SetDefault(X509Certificate2? certificate) => Volatile.Write(ref _clusterDefault, certificate);

    public ImmutableDictionary<string, X509Certificate2> Current => Volatile.Read(ref _byHost);

    public void Set(ImmutableDictionary<string, X509Certificate2> byHost) => Volatile.Write(ref _byHost, byHost);

    /// <summary>The exact host's certificate, else the wildcard one ("*.example.com"), else the default one.</summary>
    public X509Certificate2 Select(string? serverName) => SelectOwn(serverName) ?? Default;

    /// <summary>The exact host's certificate, else the wildcard one; null when the name has none.</summary>
    public X509Certificate2? SelectOwn(string? serverName)
    {
        if (string.IsNullOrEmpty(serverName))
        {
            return null;
        }

        var byHost = Current;
        var name = serverName.ToLowerInvariant();
        if (byHost.TryGetValue(name, out var exact))
        {
            return exact;
        }

        var dot = name.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 && byHost.TryGetValue("*" + name[dot..], out var wildcard) ? wildcard : null;
    }

    private static X509Certificate2 CreateSelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(SelfSignedSubject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var now = DateTimeOffset.UtcNow;
        using var created = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));
        // Re-imported so the private key is usable by the TLS stack on every platform.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
    }
}
