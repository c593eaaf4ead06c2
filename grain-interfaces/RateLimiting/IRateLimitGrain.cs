namespace Orleans.Proxy.RateLimiting;

/// <summary>
/// One token bucket, keyed "policyId|partitionKey". It grants leases (batches of tokens debited
/// when granted), so the sum admitted by every edge together never exceeds capacity plus refill.
/// </summary>
[Alias("op.IRateLimitGrain")]
public interface IRateLimitGrain : IGrainWithStringKey
{
    /// <summary>The grain key of a policy's partition.</summary>
    public static string Key(string policyId, string partitionKey) => $"{policyId}|{partitionKey}";

    // An edge waits on this call only for the first request of a partition, and then for its own
    // short timeout; the call itself may finish later, so its debited tokens are still used.
    [Alias("AcquireLease"), ResponseTimeout("00:00:02")]
    Task<LeaseGrant> AcquireLease(LeaseRequest request);

    /// <summary>Gives back tokens an edge will not use (its partition went idle or it is stopping).</summary>
    [Alias("ReturnTokens"), ResponseTimeout("00:00:02")]
    Task ReturnTokens(string edgeId, int tokens);

    [Alias("GetState"), ResponseTimeout("00:00:05")]
    Task<RateLimitState> GetState();
}
