using System.ComponentModel.DataAnnotations;

namespace Orleans.Proxy.Edge.Health;

/// <summary>Section "Health".</summary>
public sealed class HealthOptions
{
    public const string Section = "Health";

    /// <summary>How often this edge sends its aggregated request outcomes (passive health) to the backend grains.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan ReportInterval { get; set; } = TimeSpan.FromSeconds(1);
}
