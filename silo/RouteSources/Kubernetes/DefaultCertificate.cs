using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s.Models;
using Orleans.Proxy.Routing;
using Orleans.Proxy.Translation.Ingress;

namespace Orleans.Proxy.Silo.RouteSources.Kubernetes;

/// <summary>
/// IngressController:DefaultSslCertificate (ingress-nginx's --default-ssl-certificate): the Secret's
/// certificate is published under <see cref="ITlsCertificateGrain.DefaultKey"/>, which every edge
/// presents for names without a certificate of their own. A missing or bad Secret is a rejection
/// (the edges keep their self-signed certificate), never a failure of the other routes.
/// </summary>
internal static class DefaultCertificate
{
    private const string TlsSecretType = "kubernetes.io/tls";
    private const string Field = "IngressController:DefaultSslCertificate";

    public static DesiredState AddTo(DesiredState desired, string? secretKey, IEnumerable<V1Secret> secrets)
    {
        if (string.IsNullOrEmpty(secretKey))
        {
            return desired;
        }

        var (certificate, error) = Read(secretKey, secrets);
        return certificate is null
            ? desired with { Rejections = desired.Rejections.Add(new Rejection($"Secret {secretKey}", Field, error!)) }
            : desired with { Certificates = desired.Certificates.SetItem(ITlsCertificateGrain.DefaultKey, certificate) };
    }

    private static (TlsCertificateSpec?, string?) Read(string key, IEnumerable<V1Secret> secrets)
    {
        var secret = secrets.FirstOrDefault(s => IngressConverter.ObjectKey(s.Metadata) == key);
        if (secret is null)
        {
            return (null, $"Secret '{key}' does not exist (or is not readable): edges present their self-signed default certificate");
        }

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
        return (new TlsCertificateSpec(ITlsCertificateGrain.DefaultKey, 0, fingerprint, certificate, privateKey), null);
    }

    private static string? Text(V1Secret secret, string name) =>
        secret.Data?.TryGetValue(name, out var bytes) == true && bytes is { Length: > 0 } ? Encoding.UTF8.GetString(bytes)
        : secret.StringData?.TryGetValue(name, out var text) == true && !string.IsNullOrEmpty(text) ? text
        : null;
}
