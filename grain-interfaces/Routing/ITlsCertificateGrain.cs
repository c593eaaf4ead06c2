using Orleans.Proxy.Security;

namespace Orleans.Proxy.Routing;

/// <summary>
/// A TLS certificate and key from one kubernetes.io/tls Secret; key "namespace/name". Routes name it
/// with its fingerprint, so a rotation changes the routes and every edge fetches the new content.
/// </summary>
[Alias("op.ITlsCertificateGrain")]
public interface ITlsCertificateGrain : IGrainWithStringKey
{
    /// <summary>
    /// The key of the default certificate: presented for names without a certificate of their own
    /// (the Secret named by IngressController:DefaultSslCertificate; empty: edges use a self-signed one).
    /// </summary>
    const string DefaultKey = "*";

    /// <summary>Stores the certificate unless the grain holds this version or a newer one (or it is too far ahead of the grain's clock).</summary>
    [Alias("SetCertificate"), RouteSourceOnly]
    Task<VersionedWrite> SetCertificate(TlsCertificateSpec certificate);

    [Alias("GetCertificate"), ResponseTimeout("00:00:05")]
    Task<TlsCertificateSpec> GetCertificate();
}

/// <summary>PEM certificate chain and private key of a Secret at one version.</summary>
/// <param name="SecretKey">"namespace/name".</param>
/// <param name="Fingerprint">SHA-256 of the PEM content, as routes reference it; empty when cleared.</param>
[GenerateSerializer, Immutable, Alias("op.TlsCertificateSpec")]
public sealed record TlsCertificateSpec(
    [property: Id(0)] string SecretKey,
    [property: Id(1)] long Version,
    [property: Id(2)] string Fingerprint,
    [property: Id(3)] string CertificatePem,
    [property: Id(4)] string KeyPem) : IVersioned
{
    public static TlsCertificateSpec Empty(string secretKey) => new(secretKey, 0, string.Empty, string.Empty, string.Empty);
}
