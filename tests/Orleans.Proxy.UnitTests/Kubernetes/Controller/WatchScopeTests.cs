using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using k8s.Models;
using Orleans.Proxy.Routing;
using Orleans.Proxy.Silo.RouteSources.Kubernetes;
using Orleans.Proxy.Translation.Ingress;

namespace Orleans.Proxy.UnitTests.Kubernetes.Controller;

/// <summary>Where the controller lists and watches, its ingress-nginx flags, and the default certificate it publishes.</summary>
public sealed class WatchScopeTests
{
    [Fact]
    public void InformerScope_NoNamespaces_IsOneClusterWideScope()
    {
        Assert.Equal([InformerScope.AllNamespaces], InformerScope.For(null, "orleans-proxy/orleans-proxy"));
    }

    [Fact]
    public void InformerScope_Namespaces_OneEach_PlusTheNamedObjectAloneWhenItsNamespaceIsNotWatched()
    {
        Assert.Equal(
            [new InformerScope("a"), new InformerScope("b"), new InformerScope("orleans-proxy", "metadata.name=edge")],
            InformerScope.For(["a", "b"], "orleans-proxy/edge"));
        Assert.Equal([new InformerScope("a"), new InformerScope("b")], InformerScope.For(["a", "b"], "b/edge"));
        Assert.Equal([new InformerScope("a")], InformerScope.For(["a"], null));
    }

    [Fact]
    public void NormalizeArguments_IngressNginxFlags_BecomeSettings_OtherArgumentsStay()
    {
        var args = IngressControllerExtensions.NormalizeArguments(
            ["--watch-namespace", "shop, web", "--default-ssl-certificate=ops/default-tls", "--configmap", "ops/proxy", "--Edge:Port=1", "--diag-insecure"]);

        Assert.Equal(
            ["--IngressController:Namespaces:0=shop", "--IngressController:Namespaces:1=web", "--IngressController:DefaultSslCertificate=ops/default-tls", "--Routes:ConfigMap=ops/proxy", "--Edge:Port=1", "--diag-insecure"],
            args);
    }

    [Fact]
    public void Options_BadNamespaceAndKeys_AreEachReportedWithTheirSetting()
    {
        var options = new IngressControllerOptions { Namespaces = ["shop", "Not_A_Namespace", " "], DefaultSslCertificate = "no-slash", PublishService = "ns/svc" };

        var errors = options.Validate(new ValidationContext(options)).Select(e => e.ErrorMessage).ToList();

        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, e => e!.StartsWith("IngressController:Namespaces: 'Not_A_Namespace'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e!.StartsWith("IngressController:DefaultSslCertificate: 'no-slash'", StringComparison.Ordinal));
        Assert.Equal(["shop", "Not_A_Namespace"], options.WatchedNamespaces);
        Assert.Null(new IngressControllerOptions().WatchedNamespaces);
    }

    [Fact]
    public void DefaultCertificate_TlsSecret_IsPublishedUnderTheDefaultKey_AMissingOneIsARejection()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = new CertificateRequest("CN=default.example", key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var secret = new V1Secret
        {
            Metadata = new() { Name = "default-tls", NamespaceProperty = "ops" },
            Type = "kubernetes.io/tls",
            StringData = new Dictionary<string, string> { ["tls.crt"] = certificate.ExportCertificatePem(), ["tls.key"] = key.ExportPkcs8PrivateKeyPem() },
        };
        var empty = IngressConverter.Convert(ClusterObjects.Empty);

        var published = DefaultCertificate.AddTo(empty, "ops/default-tls", [secret]);
        var missing = DefaultCertificate.AddTo(empty, "ops/other", [secret]);

        var spec = published.Certificates[ITlsCertificateGrain.DefaultKey];
        Assert.Equal((ITlsCertificateGrain.DefaultKey, 16), (spec.SecretKey, spec.Fingerprint.Length));
        Assert.Empty(published.Rejections);
        Assert.False(missing.Certificates.ContainsKey(ITlsCertificateGrain.DefaultKey));
        Assert.Equal("IngressController:DefaultSslCertificate", Assert.Single(missing.Rejections).Field);
        Assert.Same(empty, DefaultCertificate.AddTo(empty, null, [secret]));
    }
}
