using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Orleans.Proxy.IntegrationTests.Kubernetes.Kustomize;

/// <summary>cert-manager's Issuer (cert-manager.io/v1), with the fields k8s/examples uses, so strict loading catches typos.</summary>
internal sealed class CertManagerIssuer : IKubernetesObject<V1ObjectMeta>, IMetadata<V1ObjectMeta>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = "cert-manager.io/v1";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "Issuer";

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public IssuerSpec Spec { get; set; } = new();

    internal sealed class IssuerSpec
    {
        [JsonPropertyName("selfSigned")]
        public Dictionary<string, string>? SelfSigned { get; set; }

        [JsonPropertyName("ca")]
        public CaIssuer? Ca { get; set; }
    }

    internal sealed class CaIssuer
    {
        [JsonPropertyName("secretName")]
        public string SecretName { get; set; } = "";
    }
}

/// <summary>cert-manager's Certificate (cert-manager.io/v1), with the fields k8s/examples uses.</summary>
internal sealed class CertManagerCertificate : IKubernetesObject<V1ObjectMeta>, IMetadata<V1ObjectMeta>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = "cert-manager.io/v1";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "Certificate";

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public CertificateSpec Spec { get; set; } = new();

    internal sealed class CertificateSpec
    {
        [JsonPropertyName("isCA")]
        public bool IsCA { get; set; }

        [JsonPropertyName("commonName")]
        public string? CommonName { get; set; }

        [JsonPropertyName("secretName")]
        public string SecretName { get; set; } = "";

        [JsonPropertyName("dnsNames")]
        public List<string>? DnsNames { get; set; }

        [JsonPropertyName("duration")]
        public string? Duration { get; set; }

        [JsonPropertyName("renewBefore")]
        public string? RenewBefore { get; set; }

        [JsonPropertyName("privateKey")]
        public PrivateKeySpec? PrivateKey { get; set; }

        [JsonPropertyName("usages")]
        public List<string>? Usages { get; set; }

        [JsonPropertyName("issuerRef")]
        public IssuerReference IssuerRef { get; set; } = new();
    }

    internal sealed class PrivateKeySpec
    {
        [JsonPropertyName("algorithm")]
        public string? Algorithm { get; set; }

        [JsonPropertyName("size")]
        public int? Size { get; set; }

        [JsonPropertyName("rotationPolicy")]
        public string? RotationPolicy { get; set; }
    }

    internal sealed class IssuerReference
    {
        [JsonPropertyName("name")]
        public string Name { get; set; } = "";

        [JsonPropertyName("kind")]
        public string? Kind { get; set; }

        [JsonPropertyName("group")]
        public string? Group { get; set; }
    }
}
