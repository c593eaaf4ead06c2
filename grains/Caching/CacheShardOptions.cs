using Microsoft.Extensions.Options;

namespace Orleans.Proxy.Caching;

/// <summary>Section "Caching:Shared" of the silo: the shared tier's bounds (there are <see cref="CacheShards.Count"/> shards).</summary>
public sealed class CacheShardOptions
{
    public const string Section = "Caching:Shared";

    /// <summary>Bytes of stored responses per shard grain (least recently used out first); the tier holds up to 64 times this.</summary>
    public long MaxBytesPerShard { get; set; } = 8 * 1024 * 1024;

    /// <summary>Variants kept per cache key (responses with Vary).</summary>
    public int MaxVariants { get; set; } = 16;
}

/// <summary>Every out-of-range setting, each named.</summary>
internal sealed class CacheShardOptionsValidator : IValidateOptions<CacheShardOptions>
{
    public ValidateOptionsResult Validate(string? name, CacheShardOptions options)
    {
        var errors = new List<string>();
        if (options.MaxBytesPerShard < 64 * 1024)
        {
            errors.Add($"{CacheShardOptions.Section}:{nameof(options.MaxBytesPerShard)} is {options.MaxBytesPerShard}; it must be at least 65536");
        }

        if (options.MaxVariants is < 1 or > 1024)
        {
            errors.Add($"{CacheShardOptions.Section}:{nameof(options.MaxVariants)} is {options.MaxVariants}; it must be 1 to 1024");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
