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

    private static (TlsCertificateSpec?, string?) Read(string key, IEnumerable<V1Secret> secrets) =>
        secrets.FirstOrDefault(s => IngressConverter.ObjectKey(s.Metadata) == key) is { } secret
            ? TlsSecret.Read(secret, key, ITlsCertificateGrain.DefaultKey)
            : (null, $"Secret '{key}' does not exist (or is not readable): edges present their self-signed default certificate");
}
