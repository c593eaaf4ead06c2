using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s.Models;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.Translation.Ingress;

/// <summary>A kubernetes.io/tls Secret read into a certificate spec, or why it cannot be (an Ingress's spec.tls and the default certificate both read them so).</summary>
public static class TlsSecret
{
    private const string TlsSecretType = "kubernetes.io/tls";

    /// <param name="key">The Secret's "namespace/name", for the messages.</param>
    /// <param name="certificateKey">The certificate grain's key the spec is published under.</param>
    public static (TlsCertificateSpec? Certificate, string? Error) Read(V1Secret secret, string key, string certificateKey)
    {
        if (secret.Type != TlsSecretType)
        {
            return (null, $"Secret '{key}' is of type '{secret.Type}', not {TlsSecretType}");
        }

        var certificate = Text(secret, "tls.crt");
        var privateKey = Text(secret, "tls.key");
        if (certificate is null || privateKey is null)
        {
            return (null, $"Secret '{key}' needs both tls.crt and tls.key");
        }

        try
        {
            using var parsed = X509Certificate2.CreateFromPem(certificate, privateKey);
        }
        catch (CryptographicException e)
        {
            return (null, $"Secret '{key}': tls.crt and tls.key are not a matching PEM certificate and private key ({e.Message})");
        }

        var fingerprint = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(certificate + "\n" + privateKey)))[..16];
        return (new TlsCertificateSpec(certificateKey, 0, fingerprint, certificate, privateKey), null);
    }

    private static string? Text(V1Secret secret, string name) =>
        secret.Data?.TryGetValue(name, out var bytes) == true && bytes is { Length: > 0 } ? Encoding.UTF8.GetString(bytes)
        : secret.StringData?.TryGetValue(name, out var text) == true && !string.IsNullOrEmpty(text) ? text
        : null;
}
