namespace Orleans.Proxy.RateLimiting;

/// <summary>
/// A shared token bucket held in memory. A silo crash loses it once: the grain comes back on
/// another silo with a full bucket (the README states the resulting overshoot).
/// </summary>
internal sealed class RateLimitGrain : Grain, IRateLimitGrain
{
    private readonly LeaseBucket _bucket = new(TimeProvider.System.GetUtcNow());

    public Task<LeaseGrant> AcquireLease(LeaseRequest request) =>
        Task.FromResult(_bucket.Grant(request, TimeProvider.System.GetUtcNow()));

    public Task ReturnTokens(string edgeId, int tokens)
    {
        _bucket.Return(edgeId, tokens, TimeProvider.System.GetUtcNow());
        return Task.CompletedTask;
    }

    public Task<RateLimitState> GetState() =>
        Task.FromResult(_bucket.State(this.GetPrimaryKeyString(), TimeProvider.System.GetUtcNow()));
}
