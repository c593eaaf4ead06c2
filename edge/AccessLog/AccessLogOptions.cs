using System.ComponentModel.DataAnnotations;

namespace Orleans.Proxy.Edge.AccessLog;

/// <summary>Section "AccessLog": one JSON line per proxied request, to stdout.</summary>
public sealed class AccessLogOptions
{
    public const string Section = "AccessLog";

    public bool Enabled { get; set; } = true;

    /// <summary>Fraction of requests logged: 1 logs all, 0.01 one in a hundred.</summary>
    [Range(0.0, 1.0, ErrorMessage = "AccessLog:SampleRate must be between 0 and 1")]
    public double SampleRate { get; set; } = 1.0;

    /// <summary>Lines waiting for the writer; beyond this, lines are dropped (and counted), never waited for.</summary>
    [Range(16, 10_000_000, ErrorMessage = "AccessLog:QueueCapacity must be between 16 and 10000000")]
    public int QueueCapacity { get; set; } = 16_384;

    /// <summary>
    /// How often the writer drains the queue to stdout while lines arrive. Short, so its work comes in small slices:
    /// at 100 ms a drain of thousands of lines held a core long enough to show in the proxy's p99.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:10", ErrorMessage = "AccessLog:FlushInterval must be between 00:00:00.001 and 00:00:10")]
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(10);
}
