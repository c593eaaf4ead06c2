using System.ComponentModel.DataAnnotations;

namespace Orleans.Proxy.Hosting.Diagnostics;

/// <summary>Section "Diagnostics": the diagnostics listener, never the public one.</summary>
public sealed class DiagnosticsOptions : IValidatableObject
{
    public const string Section = "Diagnostics";

    [Required]
    public string Address { get; set; } = "0.0.0.0";

    /// <summary>0 picks a free port.</summary>
    [Range(0, 65535)]
    public int Port { get; set; } = 9090;

    /// <summary>
    /// A second listener (same address) serving only GET /metrics, without the token, for Prometheus;
    /// unset: no such listener (metrics stay on <see cref="Port"/>, behind the token). 0 picks a free port.
    /// </summary>
    [Range(0, 65535)]
    public int? MetricsPort { get; set; }

    /// <summary>Bearer token required on /diag.</summary>
    public string? Token { get; set; }

    /// <summary>File holding the bearer token (a mounted Secret); read at start.</summary>
    public string? TokenFile { get; set; }

    /// <summary>No token: for local use only (--diag-insecure).</summary>
    public bool Insecure { get; set; }

    /// <summary>The Orleans dashboard at /dashboard, where a silo runs in the process.</summary>
    public bool Dashboard { get; set; } = true;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Insecure && string.IsNullOrEmpty(Token) && string.IsNullOrEmpty(TokenFile))
        {
            yield return new ValidationResult(
                "Diagnostics: no bearer token. Set Diagnostics:Token or Diagnostics:TokenFile, or pass --diag-insecure for local use only.",
                [nameof(Token)]);
        }

        if (MetricsPort is { } metrics && metrics != 0 && metrics == Port)
        {
            yield return new ValidationResult($"Diagnostics:MetricsPort and Diagnostics:Port are both {metrics}: the metrics listener needs a port of its own.", [nameof(MetricsPort)]);
        }

        if (!string.IsNullOrEmpty(TokenFile) && !File.Exists(TokenFile))
        {
            yield return new ValidationResult($"Diagnostics:TokenFile '{TokenFile}' does not exist.", [nameof(TokenFile)]);
        }
    }
}
