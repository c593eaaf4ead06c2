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

        if (!string.IsNullOrEmpty(TokenFile) && !File.Exists(TokenFile))
        {
            yield return new ValidationResult($"Diagnostics:TokenFile '{TokenFile}' does not exist.", [nameof(TokenFile)]);
        }
    }
}
