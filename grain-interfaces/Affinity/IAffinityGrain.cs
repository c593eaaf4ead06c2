using Orleans.Concurrency;

namespace Orleans.Proxy.Affinity;

/// <summary>
/// One sticky-session key of one backend; key "clusterId|affinityKey". Pins a destination with a
/// sliding TTL, and is the only one that moves it (when it becomes unavailable), so edges never race.
/// </summary>
[Alias("op.IAffinityGrain")]
public interface IAffinityGrain : IGrainWithStringKey
{
    public static string Key(string clusterId, string affinityKey) => $"{clusterId}|{affinityKey}";

    /// <summary>
    /// The pinned destination, kept while it is available; otherwise (new key, expired, or pinned one
    /// unavailable or removed) <paramref name="choice"/>, the destination the calling edge would use
    /// (where it sent the key while the grain did not answer, else its rendezvous hash), when that is
    /// available or when the grain knows no destinations (its backend lost with a silo and not yet
    /// rewritten); else the rendezvous hash of the key over the available destinations.
    /// Edges call it on a cache miss only, with their own much shorter timeout; this one bounds a stuck call.
    /// </summary>
    [Alias("ResolveWithChoice"), ResponseTimeout("00:00:01")]
    Task<AffinityPin> Resolve(TimeSpan ttl, string? choice);

    /// <summary>For diagnostics: the pinned destination and when it was last used, without pinning or extending anything.</summary>
    [Alias("Peek"), ResponseTimeout("00:00:05")]
    Task<AffinityPeek> Peek();

    /// <summary>
    /// Extends the TTL of a key an edge sends to <paramref name="destination"/>; a key with no live pin
    /// (lost with a silo) is pinned there. Fire and forget.
    /// </summary>
    [Alias("TouchAt"), OneWay]
    Task Touch(TimeSpan ttl, string destination);
}
