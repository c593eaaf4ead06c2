using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Orleans.Proxy.IntegrationTests.Infrastructure;

using Orleans.Proxy.Testing;

namespace Orleans.Proxy.IntegrationTests.Tls;

/// <summary>Real TLS handshakes with SNI on 127.0.0.1 against an embedded edge whose certificates come from Secrets.</summary>
public sealed class TlsTerminationTests
{
    private const string Host = "secure.test";

    [Fact]
    public async Task Https_SecretInSpecTls_ServedBySniOverHttp1AndHttp2AndRotatedWithoutRestart()
    {
        await using var web = await TestBackend.StartAsync("web");
        using var first = SelfSigned(Host);
        using var routes = new TempDirectory();
        routes.Write("services.yaml", Manifests.ServiceFor("web", web));
        routes.Write("secret.yaml", TlsSecret("secure-tls", first));
        routes.Write("ingress.yaml", WithTls(Manifests.Ingress("secure", Host, ("/", "Prefix", "web")), Host, "secure-tls"));
        var httpsPort = FreePorts.Next();
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path, new Dictionary<string, string?> { ["Edge:HttpsPort"] = $"{httpsPort}" });

        await Eventually.Until(async () => (await GetAsync(httpsPort, Host, HttpVersion.Version11)).Certificate == first.Thumbprint, "the first certificate is served");
        var http1 = await GetAsync(httpsPort, Host, HttpVersion.Version11);
        Assert.Equal((HttpStatusCode.OK, "1.1"), (http1.Status, http1.Version));
        Assert.StartsWith($"web {Host} /", http1.Body);
        var http2 = await GetAsync(httpsPort, Host, HttpVersion.Version20);
        Assert.Equal((HttpStatusCode.OK, "2.0", first.Thumbprint), (http2.Status, http2.Version, http2.Certificate));
        var served = Assert.Single((await edge.DiagAsync("/diag/certificates")).EnumerateArray());
        Assert.Equal((Host, first.Thumbprint), (served.GetProperty("host").GetString(), served.GetProperty("thumbprint").GetString()));

        // spec.tls turns on ssl-redirect for the host, as with ingress-nginx.
        using var request = new HttpRequestMessage(HttpMethod.Get, "/x");
        request.Headers.Host = Host;
        using var redirect = await edge.Public.SendAsync(request);
        Assert.Equal(HttpStatusCode.PermanentRedirect, redirect.StatusCode);
        Assert.Equal($"https://{Host}/x", redirect.Headers.Location?.OriginalString);

        // No certificate for this name: the default one (self-signed here), never another host's.
        var other = await GetAsync(httpsPort, "other.test", HttpVersion.Version11);
        Assert.Equal((HttpStatusCode.NotFound, (await edge.DiagAsync("/diag/certificates/default")).GetProperty("thumbprint").GetString()), (other.Status, other.Certificate));
        Assert.NotEqual(first.Thumbprint, other.Certificate);

        using var second = SelfSigned(Host);
        routes.Write("secret.yaml", TlsSecret("secure-tls", second));
        await Eventually.Until(async () => (await GetAsync(httpsPort, Host, HttpVersion.Version20)).Certificate == second.Thumbprint, "the rotated certificate is served");
    }

    [Fact]
    public async Task Https_HostsSharingASecret_OneRemoved_ItGetsTheDefaultAndTheOtherKeepsTheSecretsCertificate()
    {
        const string a = "a.secure.test", b = "b.secure.test", c = "c.secure.test";
        await using var web = await TestBackend.StartAsync("web");
        using var shared = SelfSigned(a);
        using var own = SelfSigned(c);
        using var routes = new TempDirectory();
        routes.Write("services.yaml", Manifests.ServiceFor("web", web));
        routes.Write("secret.yaml", TlsSecret("shared-tls", shared) + "---\n" + TlsSecret("own-tls", own));
        string IngressWithTls(string host, string secret) => WithTls(Manifests.Ingress(host.Split('.')[0], host, ("/", "Prefix", "web")), host, secret);
        routes.Write("a.yaml", IngressWithTls(a, "shared-tls"));
        routes.Write("b.yaml", IngressWithTls(b, "shared-tls"));
        var httpsPort = FreePorts.Next();
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path, new Dictionary<string, string?> { ["Edge:HttpsPort"] = $"{httpsPort}" });
        await Eventually.Until(async () => (await GetAsync(httpsPort, b, HttpVersion.Version11)).Certificate == shared.Thumbprint, "both hosts are served the shared certificate");
        var defaultThumbprint = (await edge.DiagAsync("/diag/certificates/default")).GetProperty("thumbprint").GetString();

        // A host added beside them, then one of the two sharing a Secret removed: only those hosts' certificates change.
        routes.Write("c.yaml", IngressWithTls(c, "own-tls"));
        await Eventually.Until(async () => (await GetAsync(httpsPort, c, HttpVersion.Version11)).Certificate == own.Thumbprint, "the added host is served its certificate");
        File.Delete(Path.Combine(routes.Path, "b.yaml"));
        await Eventually.Until(async () => (await GetAsync(httpsPort, b, HttpVersion.Version11)).Certificate == defaultThumbprint, "the removed host gets the default certificate");

        Assert.Equal(shared.Thumbprint, (await GetAsync(httpsPort, a, HttpVersion.Version11)).Certificate);
        Assert.Equal(own.Thumbprint, (await GetAsync(httpsPort, c, HttpVersion.Version11)).Certificate);
        var served = (await edge.DiagAsync("/diag/certificates")).EnumerateArray().Select(e => (e.GetProperty("host").GetString(), e.GetProperty("thumbprint").GetString())).Order().ToList();
        Assert.Equal([(a, shared.Thumbprint), (c, own.Thumbprint)], served);
    }

    [Fact]
    public async Task Http_SslRedirectSettingOff_PlainHttpServedUnlessTheIngressAnnotationAsks()
    {
        const string forced = "forced.test";
        await using var web = await TestBackend.StartAsync("web");
        using var certificate = SelfSigned(Host);
        using var forcedCertificate = SelfSigned(forced);
        using var routes = new TempDirectory();
        routes.Write("services.yaml", Manifests.ServiceFor("web", web));
        routes.Write("secret.yaml", TlsSecret("secure-tls", certificate) + "---\n" + TlsSecret("forced-tls", forcedCertificate));
        routes.Write("ingress.yaml",
            WithTls(Manifests.Ingress("secure", Host, ("/", "Prefix", "web")), Host, "secure-tls")
            + "---\n"
            + WithTls(Manifests.IngressWithAnnotations("forced", forced, new Dictionary<string, string> { ["nginx.ingress.kubernetes.io/ssl-redirect"] = "true" }, ("/", "Prefix", "web")), forced, "forced-tls"));
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path, new Dictionary<string, string?> { ["Routes:SslRedirect"] = "false" });
        await edge.WaitForBackendAsync(Host, "/x", "web");

        Assert.Equal("200 web secure.test /x", await edge.GetBodyAsync(Host, "/x"));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/x?y=1");
        request.Headers.Host = forced;
        using var redirect = await edge.Public.SendAsync(request);
        Assert.Equal(HttpStatusCode.PermanentRedirect, redirect.StatusCode);
        Assert.Equal($"https://{forced}/x?y=1", redirect.Headers.Location?.OriginalString);
    }

    /// <summary>The Ingress with spec.tls naming <paramref name="host"/> and the Secret <paramref name="secret"/>.</summary>
    internal static string WithTls(string ingress, string host, string secret) =>
        ingress.Replace("spec:\n", $"spec:\n  tls:\n  - hosts: [{host}]\n    secretName: {secret}\n", StringComparison.Ordinal);

    internal static X509Certificate2 SelfSigned(string host)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={host}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(host);
        request.CertificateExtensions.Add(san.Build());
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }

    internal static string TlsSecret(string name, X509Certificate2 certificate)
    {
        var pem = Convert.ToBase64String(Encoding.ASCII.GetBytes(certificate.ExportCertificatePem()));
        var key = Convert.ToBase64String(Encoding.ASCII.GetBytes(certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem()));
        return $"""
            apiVersion: v1
            kind: Secret
            metadata:
              name: {name}
              namespace: {Manifests.Namespace}
            type: kubernetes.io/tls
            data:
              tls.crt: {pem}
              tls.key: {key}

            """;
    }

    /// <summary>A new connection (so a new handshake) with SNI <paramref name="serverName"/>; returns the certificate the edge presented.</summary>
    internal static async Task<(HttpStatusCode Status, string Version, string Body, string? Certificate)> GetAsync(int port, string serverName, Version version)
    {
        string? presented = null;
        using var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                TargetHost = serverName,
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    presented = certificate is null ? null : new X509Certificate2(certificate).Thumbprint;
                    return true;
                },
            },
        };
        using var client = new HttpClient(handler);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"https://127.0.0.1:{port}/") { Version = version, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        request.Headers.Host = serverName;
        using var response = await client.SendAsync(request);
        return (response.StatusCode, response.Version.ToString(), await response.Content.ReadAsStringAsync(), presented);
    }
}
