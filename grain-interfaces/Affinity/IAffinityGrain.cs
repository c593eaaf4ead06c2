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
    /// unavailable or removed) the rendezvous hash of the key over the available destinations.
    /// Edges call it on a cache miss only, with their own much shorter timeout; this one bounds a stuck call.
    /// </summary>
    [Alias("Resolve"), ResponseTimeout("00:00:01")]
    Task<AffinityPin> Resolve(TimeSpan ttl);

    /// <summary>For diagnostics: the pinned destination and when it was last used, without pinning or extending anything.</summary>
    [Alias("Peek"), ResponseTimeout("00:00:05")]
    Task<AffinityPeek> Peek();

    /// <summary>Extends the TTL of a key still in use on an edge; fire and forget.</summary>
    [Alias("Touch"), OneWay]
    Task Touch(TimeSpan ttl);
}
