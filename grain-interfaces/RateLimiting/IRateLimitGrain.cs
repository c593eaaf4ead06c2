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

    /// <summary>
    /// Settles what the edge admitted without a lease and grants it tokens. No request waits on
    /// this call: edges make it in the background.
    /// </summary>
    [Alias("AcquireLease"), ResponseTimeout("00:00:02")]
    Task<LeaseGrant> AcquireLease(LeaseRequest request);

    /// <summary>
    /// Gives back the tokens an edge will not use (<see cref="LeaseRequest.Returned"/>) and debits the
    /// requests it admitted without a lease and has not reported yet (<see cref="LeaseRequest.Owed"/>),
    /// granting nothing: its partition went idle or it is stopping.
    /// </summary>
    [Alias("Settle"), ResponseTimeout("00:00:02")]
    Task Settle(LeaseRequest request);

    [Alias("GetState"), ResponseTimeout("00:00:05")]
    Task<RateLimitState> GetState();
}
