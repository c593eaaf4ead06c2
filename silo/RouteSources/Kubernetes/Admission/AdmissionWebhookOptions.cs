using System.ComponentModel.DataAnnotations;
using Orleans.Proxy.Hosting.Diagnostics;

namespace Orleans.Proxy.Silo.RouteSources.Kubernetes.Admission;

/// <summary>Section "AdmissionWebhook": the validating admission webhook for Ingresses, on its own HTTPS port (Kubernetes mode).</summary>
public sealed class AdmissionWebhookOptions : IValidatableObject
{
    public const string Section = "AdmissionWebhook";

    public bool Enabled { get; set; }

    /// <summary>"0.0.0.0", "::", "*", "localhost" or an IP address.</summary>
    public string Address { get; set; } = "0.0.0.0";

    /// <summary>The HTTPS port the API server calls; 0: any free port (tests).</summary>
    [Range(0, 65535)]
    public int Port { get; set; } = 8443;

    /// <summary>PEM certificate the webhook presents (tls.crt of a mounted Secret); re-read when it changes, so a renewal needs no restart.</summary>
    public string CertificateFile { get; set; } = "";

    /// <summary>Its PEM private key (tls.key).</summary>
    public string KeyFile { get; set; } = "";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Enabled)
        {
            yield break;
        }

        if (!DiagnosticsListener.TryParseAddress(Address, out _))
        {
            yield return new ValidationResult($"{Section}:{nameof(Address)}: '{Address}' is not an IP address, *, or localhost", [nameof(Address)]);
        }

        foreach (var (name, path) in new[] { (nameof(CertificateFile), CertificateFile), (nameof(KeyFile), KeyFile) })
        {
            if (string.IsNullOrEmpty(path) || !File.Exists(path))
            {
                yield return new ValidationResult($"{Section}:{name}: '{path}' does not exist (mount the webhook's TLS Secret and point to its {(name == nameof(KeyFile) ? "tls.key" : "tls.crt")})", [name]);
            }
        }
    }
}
