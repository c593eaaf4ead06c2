using System.Globalization;

namespace Orleans.Proxy.RateLimiting;

/// <summary>
/// One token bucket, keyed "policyId#permits/period/capacity|partitionKey". It grants leases (batches
/// of tokens debited when granted), so the sum admitted by every edge together never exceeds capacity
/// plus refill.
/// </summary>
/// <remarks>
/// The bucket's rate and capacity are part of its key, read from it by the grain, not from the edges'
/// requests: the route source's policy names the bucket every edge uses, and an edge (or a stolen edge
/// certificate) cannot change it. Sending other settings only names another bucket, which no other
/// edge uses. A changed policy names a new bucket; the old one idles out.
/// </remarks>
[Alias("op.IRateLimitGrain")]
public interface IRateLimitGrain : IGrainWithStringKey
{
    /// <summary>The grain key of a policy's partition, the policy's settings in it.</summary>
    public static string Key(RateLimitSpec spec, string partitionKey) =>
        string.Create(CultureInfo.InvariantCulture, $"{PolicyKey(spec)}|{partitionKey}");

    /// <summary>The part of the key before the partition: "policyId#permits/period/capacity".</summary>
    public static string PolicyKey(RateLimitSpec spec) =>
        string.Create(CultureInfo.InvariantCulture, $"{spec.PolicyId}#{spec.Permits}/{(spec.Period == RateLimitPeriod.Minute ? 'm' : 's')}/{spec.Capacity}");

    /// <summary>The rate (tokens per second) and capacity a bucket key names; false for a key without them.</summary>
    public static bool TryReadSettings(string key, out double ratePerSecond, out int capacity)
    {
        (ratePerSecond, capacity) = (0, 0);
        var end = key.IndexOf('|', StringComparison.Ordinal);
        var policy = end < 0 ? key : key[..end];
        var settings = policy.LastIndexOf('#');
        var parts = settings < 0 ? [] : policy[(settings + 1)..].Split('/');
        if (parts.Length != 3
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var permits)
            || parts[1] is not ("s" or "m")
            || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out capacity)
            || capacity < 1)
        {
            capacity = 0;
            return false;
        }

        ratePerSecond = permits / (parts[1] == "m" ? 60.0 : 1.0);
        return true;
    }

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
