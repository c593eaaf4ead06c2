namespace Orleans.Proxy.IntegrationTests.RateLimiting;

/// <summary>
/// Tests that measure how many requests a shared limit admits against how many it allows: they run
/// alone, after the parallel tests, so what they measure is the limiter and not the other tests
/// competing for the same two cores.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RateLimitPrecisionCollection
{
    public const string Name = "Rate-limit precision";
}
