using System.ComponentModel.DataAnnotations;

namespace Orleans.Proxy.Edge.Affinity;

/// <summary>Section "Affinity".</summary>
public sealed class AffinityOptions
{
    public const string Section = "Affinity";

    /// <summary>
    /// How long the first request of a key not in this edge's cache waits for its affinity grain
    /// before using the rendezvous hash (the answer the grain gives a new key anyway).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:05")]
    public TimeSpan LookupTimeout { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Keys this edge caches; past it new keys are served by the rendezvous hash without caching.</summary>
    [Range(1, 10_000_000)]
    public int MaxEntries { get; set; } = 200_000;
}
