using Microsoft.Extensions.Options;

namespace Orleans.Proxy.Edge.Caching;

/// <summary>Section "Caching" of the edge. Caching itself is switched on per Ingress (orleans-proxy.io/cache: "true").</summary>
public sealed class CachingOptions
{
    public const string Section = "Caching";

    /// <summary>Adds <see cref="StatusHeaderName"/> (HIT, MISS, STALE, BYPASS, COLLAPSED, REVALIDATED) to responses of cached routes.</summary>
    public bool StatusHeader { get; set; }

    public string StatusHeaderName { get; set; } = "X-Cache";

    /// <summary>Bytes of stored responses in this edge's memory (least recently used out first).</summary>
    public long MemoryMaxBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Largest body stored anywhere (a route's cache-max-object-size may lower it, not raise it); larger responses stream through uncached.</summary>
    public long MaxObjectBytes { get; set; } = 8L * 1024 * 1024;

    /// <summary>Consult and fill the shared tier (the cache shard grains) on a memory miss.</summary>
    public bool SharedTier { get; set; } = true;

    /// <summary>Largest body stored in the shared tier; larger ones (up to <see cref="MaxObjectBytes"/>) stay in this edge's memory.</summary>
    public long SharedMaxObjectBytes { get; set; } = 1024L * 1024;

    /// <summary>How long a request waits for another request's fetch of the same object (on this edge or another) before going to the backend itself.</summary>
    public TimeSpan CollapseTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Beyond <see cref="CollapseTimeout"/>: how long a shared-tier lookup may take before the request goes to the backend.</summary>
    public TimeSpan SharedLookupTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a fetch holds the fleet-wide right to fill a key; others stop waiting for it after this.</summary>
    public TimeSpan FillLease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a stale response with a validator (ETag, Last-Modified) is kept for revalidation by a 304.</summary>
    public TimeSpan StaleRetention { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Variants kept per cache key (responses with Vary).</summary>
    public int MaxVariants { get; set; } = 16;

    /// <summary>How long one purge long-poll waits at the purge grain before it is renewed.</summary>
    public TimeSpan PurgePollWait { get; set; } = TimeSpan.FromSeconds(20);
}

/// <summary>Every inconsistent setting, each named, so one start shows them all.</summary>
internal sealed class CachingOptionsValidator : IValidateOptions<CachingOptions>
{
    public ValidateOptionsResult Validate(string? name, CachingOptions o)
    {
        var errors = new List<string>();
        void Require(bool ok, string field, string rule)
        {
            if (!ok)
            {
                errors.Add($"{CachingOptions.Section}:{field} {rule}");
            }
        }

        Require(o.MemoryMaxBytes >= 1024 * 1024, nameof(o.MemoryMaxBytes), $"is {o.MemoryMaxBytes}; it must be at least 1048576 (1 MiB)");
        Require(o.MaxObjectBytes > 0 && o.MaxObjectBytes <= o.MemoryMaxBytes, nameof(o.MaxObjectBytes), $"is {o.MaxObjectBytes}; it must be positive and at most MemoryMaxBytes ({o.MemoryMaxBytes})");
        Require(o.SharedMaxObjectBytes >= 0 && o.SharedMaxObjectBytes <= o.MaxObjectBytes, nameof(o.SharedMaxObjectBytes), $"is {o.SharedMaxObjectBytes}; it must be 0 to MaxObjectBytes ({o.MaxObjectBytes})");
        Require(o.SharedMaxObjectBytes <= 64L * 1024 * 1024, nameof(o.SharedMaxObjectBytes), "must be at most 67108864 (64 MiB): grain messages carry the whole body");
        Require(o.CollapseTimeout >= TimeSpan.Zero && o.CollapseTimeout <= TimeSpan.FromSeconds(30), nameof(o.CollapseTimeout), $"is {o.CollapseTimeout}; it must be 0 to 30 seconds");
        Require(o.SharedLookupTimeout > TimeSpan.Zero && o.SharedLookupTimeout <= TimeSpan.FromSeconds(5), nameof(o.SharedLookupTimeout), $"is {o.SharedLookupTimeout}; it must be above 0 and at most 5 seconds");
        Require(o.FillLease >= o.CollapseTimeout && o.FillLease <= TimeSpan.FromSeconds(30), nameof(o.FillLease), $"is {o.FillLease}; it must be at least CollapseTimeout and at most 30 seconds");
        Require(o.StaleRetention >= TimeSpan.Zero, nameof(o.StaleRetention), "must not be negative");
        Require(o.MaxVariants is >= 1 and <= 1024, nameof(o.MaxVariants), $"is {o.MaxVariants}; it must be 1 to 1024");
        Require(o.PurgePollWait >= TimeSpan.FromSeconds(1) && o.PurgePollWait <= TimeSpan.FromSeconds(30), nameof(o.PurgePollWait), $"is {o.PurgePollWait}; it must be 1 to 30 seconds");
        Require(!string.IsNullOrWhiteSpace(o.StatusHeaderName), nameof(o.StatusHeaderName), "must be a header name");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
