using Orleans.Proxy.Caching;
using Orleans.Proxy.Edge.Caching;

namespace Orleans.Proxy.UnitTests.Caching;

public sealed class CachingOptionsTests
{
    [Fact]
    public void Validate_Defaults_Succeed() =>
        Assert.True(new CachingOptionsValidator().Validate(null, new CachingOptions()).Succeeded);

    [Fact]
    public void Validate_InconsistentLimits_EveryErrorNamed()
    {
        var result = new CachingOptionsValidator().Validate(null, new CachingOptions
        {
            MemoryMaxBytes = 2 * 1024 * 1024,
            MaxObjectBytes = 4 * 1024 * 1024,
            SharedMaxObjectBytes = 8 * 1024 * 1024,
            CollapseTimeout = TimeSpan.FromMinutes(5),
        });

        Assert.True(result.Failed);
        var errors = result.Failures!.ToList();
        Assert.Contains(errors, e => e.StartsWith("Caching:MaxObjectBytes", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Caching:SharedMaxObjectBytes", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Caching:CollapseTimeout", StringComparison.Ordinal));
    }

    [Fact]
    public void ShardOptions_TooSmall_Named()
    {
        var result = new CacheShardOptionsValidator().Validate(null, new CacheShardOptions { MaxBytesPerShard = 10, MaxVariants = 0 });

        Assert.Equal(2, result.Failures!.Count());
    }
}
