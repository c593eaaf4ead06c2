using System.Net;
using System.Security.Cryptography.X509Certificates;
using k8s;
using k8s.Models;
using Orleans.Proxy.Edge.Tls;
using Orleans.Proxy.IntegrationTests.Infrastructure;
using Orleans.Proxy.IntegrationTests.Kubernetes.Controller;

using Orleans.Proxy.Testing;

namespace Orleans.Proxy.IntegrationTests.Tls;

/// <summary>HTTPS for a host without a certificate of its own: the default certificate, as with ingress-nginx.</summary>
public sealed class DefaultCertificateTests
{
    [Fact]
    public async Task Https_HostWithoutCertificate_GetsTheSelfSignedCertificateGeneratedAtStart()
    {
        await using var web = await TestBackend.StartAsync("web");
        using var routes = new TempDirectory();
        routes.Write("web.yaml", Manifests.ServiceFor("web", web) + "---\n" + Manifests.Ingress("web", "plain.test", ("/", "Prefix", "web")));
        var httpsPort = FreePorts.Next();
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path, new Dictionary<string, string?> { ["Edge:HttpsPort"] = $"{httpsPort}" });
        await edge.WaitForBackendAsync("plain.test", "/", "web");

        var served = await TlsTerminationTests.GetAsync(httpsPort, "plain.test", HttpVersion.Version11);
        var unknown = await TlsTerminationTests.GetAsync(httpsPort, "unknown.test", HttpVersion.Version20);

        var @default = await edge.DiagAsync("/diag/certificates/default");
        Assert.Equal(("self-signed", TlsCertificateStore.SelfSignedSubject), (@default.GetProperty("source").GetString(), @default.GetProperty("subject").GetString()));
        Assert.Equal((HttpStatusCode.OK, @default.GetProperty("thumbprint").GetString()), (served.Status, served.Certificate));
        Assert.StartsWith("web plain.test /", served.Body);
        Assert.Equal((HttpStatusCode.NotFound, @default.GetProperty("thumbprint").GetString()), (unknown.Status, unknown.Certificate));
    }

    [Fact]
    public async Task Https_DefaultSslCertificateSecret_IsPresentedForHostsWithoutOne_AndFollowsItsRotation()
    {
        var httpsPort = FreePorts.Next();
        await using var web = await TestBackend.StartAsync("web");
        await using var bed = await ControllerTestBed.StartAsync(
            new Dictionary<string, string?> { ["IngressController:DefaultSslCertificate"] = $"{ControllerTestBed.Namespace}/default-tls" },
            new Dictionary<string, string?> { ["Edge:HttpsPort"] = $"{httpsPort}" });
        using var first = TlsTerminationTests.SelfSigned("default.example");
        bed.Server.Inject(Secret(first));
        await bed.CreateServiceAsync("web", web);
        await bed.Client.NetworkingV1.CreateNamespacedIngressAsync(ControllerTestBed.Ingress("web", "web.test", paths: ("/", "web")), ControllerTestBed.Namespace);
        await bed.Edge.WaitForBackendAsync("web.test", "/", "web");

        await Eventually.Until(async () => (await TlsTerminationTests.GetAsync(httpsPort, "unknown.test", HttpVersion.Version11)).Certificate == first.Thumbprint,
            "the default-ssl-certificate Secret is presented for a host without a certificate");
        var @default = await bed.Edge.DiagAsync("/diag/certificates/default");
        Assert.Equal(("secret", first.Thumbprint), (@default.GetProperty("source").GetString(), @default.GetProperty("thumbprint").GetString()));
        Assert.Equal(first.Thumbprint, (await TlsTerminationTests.GetAsync(httpsPort, "web.test", HttpVersion.Version11)).Certificate);

        using var second = TlsTerminationTests.SelfSigned("default.example");
        bed.Server.Inject(Secret(second));
        await Eventually.Until(async () => (await TlsTerminationTests.GetAsync(httpsPort, "unknown.test", HttpVersion.Version11)).Certificate == second.Thumbprint,
            "the rotated default certificate is presented");

        // The Secret goes away: back to the self-signed certificate, and the reason is listed.
        Assert.True(bed.Server.Remove<V1Secret>("default-tls", ControllerTestBed.Namespace));
        await Eventually.Until(async () => (await bed.Edge.DiagAsync("/diag/certificates/default")).GetProperty("source").GetString() == "self-signed",
            "the edge falls back to its self-signed certificate");
        Assert.Contains((await bed.Edge.DiagAsync("/diag/rejections")).EnumerateArray(), r => r.GetProperty("field").GetString() == "IngressController:DefaultSslCertificate");
    }

    private static V1Secret Secret(X509Certificate2 certificate) => new()
    {
        Metadata = new() { Name = "default-tls", NamespaceProperty = ControllerTestBed.Namespace },
        Type = "kubernetes.io/tls",
        StringData = new Dictionary<string, string>
        {
            ["tls.crt"] = certificate.ExportCertificatePem(),
            ["tls.key"] = certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem(),
        },
    };
}
