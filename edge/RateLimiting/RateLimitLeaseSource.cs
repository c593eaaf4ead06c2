using Orleans.Proxy.RateLimiting;

namespace Orleans.Proxy.Edge.RateLimiting;

/// <summary>Where partition limiters take leases and settle: the rate-limit grains (a fake in unit tests).</summary>
internal interface IRateLimitLeaseSource
{
    Task<LeaseGrant> AcquireLease(string grainKey, LeaseRequest request);

    Task Settle(string grainKey, LeaseRequest request);
}

internal sealed class GrainLeaseSource(IGrainFactory grains) : IRateLimitLeaseSource
{
    public Task<LeaseGrant> AcquireLease(string grainKey, LeaseRequest request) =>
        grains.GetGrain<IRateLimitGrain>(grainKey).AcquireLease(request);

    public Task Settle(string grainKey, LeaseRequest request) =>
        grains.GetGrain<IRateLimitGrain>(grainKey).Settle(request);
}
