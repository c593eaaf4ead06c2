using System.Collections.Immutable;

namespace Orleans.Proxy.Caching;

/// <summary>
/// Response caching for a route (annotation orleans-proxy.io/cache: "true"). HTTP's rules (RFC 9111)
/// decide what is stored and for how long; these settings only fill the gaps the response leaves.
/// </summary>
/// <param name="DefaultTtl">Freshness of a response that carries none (no max-age, s-maxage or Expires); null: such responses are not stored.</param>
/// <param name="ContentTypes">Media types that may be stored ("text/html", "image/*"); empty: any.</param>
/// <param name="MaxObjectSize">Largest body stored, in bytes; null: the edge's Caching:MaxObjectBytes.</param>
/// <param name="VaryHeaders">Request headers that are always part of the cache key (as if every response named them in Vary).</param>
/// <param name="StaleIfError">How long past freshness a stored response may be served when the backend fails, when the response does not say (stale-if-error).</param>
[GenerateSerializer, Immutable, Alias("op.CacheSpec")]
public sealed record CacheSpec(
    [property: Id(0)] TimeSpan? DefaultTtl,
    [property: Id(1)] ImmutableArray<string> ContentTypes,
    [property: Id(2)] long? MaxObjectSize,
    [property: Id(3)] ImmutableArray<string> VaryHeaders,
    [property: Id(4)] TimeSpan? StaleIfError);

/// <summary>One header field line of a stored response (a field with several values has several lines).</summary>
[GenerateSerializer, Immutable, Alias("op.CacheHeader")]
public sealed record CacheHeader([property: Id(0)] string Name, [property: Id(1)] string Value);

/// <summary>
/// A stored response (one variant of a cache key). Times are the storing edge's; the age of the
/// response at any later time is <see cref="CorrectedInitialAge"/> plus the time since
/// <see cref="ResponseTime"/> (RFC 9111 section 4.2.3).
/// </summary>
/// <param name="Key">The cache key: cluster, scheme, host, path and query, and the values of the route's vary headers.</param>
/// <param name="VaryValues">For each request header the response varies on (lower-case name), the value the storing request had ("" when absent).</param>
/// <param name="FreshnessLifetime">Zero when every use needs validation (no-cache).</param>
/// <param name="StaleWhileRevalidate">How long past freshness it may be served while another request revalidates it.</param>
/// <param name="StaleIfError">How long past freshness it may be served when the backend fails.</param>
/// <param name="MustRevalidate">must-revalidate, proxy-revalidate or s-maxage: never served stale.</param>
/// <param name="KeepUntil">When a cache may drop it (past every stale allowance, and past the retention for revalidation when it has a validator).</param>
/// <param name="Tags">Surrogate-Key / Cache-Tag values, for purges by tag.</param>
[GenerateSerializer, Immutable, Alias("op.CachedResponse")]
public sealed record CachedResponse(
    [property: Id(0)] string Key,
    [property: Id(1)] int Status,
    [property: Id(2)] ImmutableArray<CacheHeader> Headers,
    [property: Id(3)] byte[] Body,
    [property: Id(4)] ImmutableArray<CacheHeader> VaryValues,
    [property: Id(5)] DateTimeOffset RequestTime,
    [property: Id(6)] DateTimeOffset ResponseTime,
    [property: Id(7)] TimeSpan CorrectedInitialAge,
    [property: Id(8)] TimeSpan FreshnessLifetime,
    [property: Id(9)] TimeSpan StaleWhileRevalidate,
    [property: Id(10)] TimeSpan StaleIfError,
    [property: Id(11)] bool MustRevalidate,
    [property: Id(12)] DateTimeOffset KeepUntil,
    [property: Id(13)] ImmutableArray<string> Tags,
    [property: Id(14)] string Host,
    [property: Id(15)] string Path,
    [property: Id(16)] string Query)
{
    /// <summary>Bytes this entry holds, roughly: body, header text and a fixed overhead.</summary>
    public long Size => Body.LongLength + Headers.Sum(h => (long)h.Name.Length + h.Value.Length) * 2 + Key.Length * 2 + 256;

    public TimeSpan Age(DateTimeOffset now) => CorrectedInitialAge + (now > ResponseTime ? now - ResponseTime : TimeSpan.Zero);

    public bool IsFresh(DateTimeOffset now) => Age(now) < FreshnessLifetime;

    /// <summary>How long it has been stale (zero or negative while fresh).</summary>
    public TimeSpan Staleness(DateTimeOffset now) => Age(now) - FreshnessLifetime;

    /// <summary>The first value of a stored header, or null.</summary>
    public string? Header(string name)
    {
        foreach (var header in Headers)
        {
            if (string.Equals(header.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return header.Value;
            }
        }

        return null;
    }
}

public enum CachePurgeKind
{
    /// <summary>One URL (any scheme): host, path and query exactly.</summary>
    Url = 0,
    /// <summary>A host and every path under a prefix.</summary>
    Prefix = 1,
    /// <summary>Every response tagged so by its Surrogate-Key or Cache-Tag header.</summary>
    Tag = 2,
    /// <summary>Everything.</summary>
    All = 3,
}

/// <summary>What to drop from every tier on every edge.</summary>
/// <param name="Host">The host for <see cref="CachePurgeKind.Url"/> and <see cref="CachePurgeKind.Prefix"/> (lower case).</param>
/// <param name="Value">Path and query (Url), path prefix (Prefix) or tag (Tag).</param>
[GenerateSerializer, Immutable, Alias("op.CachePurge")]
public sealed record CachePurge(
    [property: Id(0)] CachePurgeKind Kind,
    [property: Id(1)] string Host,
    [property: Id(2)] string Value)
{
    public bool Matches(CachedResponse entry) => Kind switch
    {
        CachePurgeKind.All => true,
        CachePurgeKind.Tag => entry.Tags.Contains(Value, StringComparer.Ordinal),
        CachePurgeKind.Url => string.Equals(entry.Host, Host, StringComparison.OrdinalIgnoreCase)
            && Value.Length == entry.Path.Length + entry.Query.Length
            && Value.StartsWith(entry.Path, StringComparison.Ordinal) && Value.AsSpan(entry.Path.Length).SequenceEqual(entry.Query),
        CachePurgeKind.Prefix => string.Equals(entry.Host, Host, StringComparison.OrdinalIgnoreCase) && IsUnderPrefix(entry.Path, Value),
        _ => false,
    };

    /// <summary>"/a" covers "/a", "/a/..." and "/ab" is not under it; "/" and "/a/" cover what starts with them.</summary>
    private static bool IsUnderPrefix(string path, string prefix) =>
        path.StartsWith(prefix, StringComparison.Ordinal)
        && (prefix.EndsWith('/') || path.Length == prefix.Length || path[prefix.Length] == '/');

    public override string ToString() => Kind switch
    {
        CachePurgeKind.All => "all",
        CachePurgeKind.Tag => $"tag {Value}",
        _ => $"{Kind.ToString().ToLowerInvariant()} {Host}{Value}",
    };
}

/// <summary>A purge with its place in the purge log.</summary>
[GenerateSerializer, Immutable, Alias("op.LoggedPurge")]
public sealed record LoggedPurge([property: Id(0)] long Sequence, [property: Id(1)] CachePurge Purge);

/// <summary>
/// The purges after the one an edge last applied. <see cref="Epoch"/> names the purge grain's
/// activation: when it changes (the grain was lost), or when <see cref="Truncated"/> (the log no
/// longer reaches back far enough), the edge drops its whole memory tier.
/// </summary>
[GenerateSerializer, Immutable, Alias("op.PurgeLog")]
public sealed record PurgeLog(
    [property: Id(0)] long Epoch,
    [property: Id(1)] long Sequence,
    [property: Id(2)] ImmutableArray<LoggedPurge> Purges,
    [property: Id(3)] bool Truncated);

/// <summary>The outcome of a purge request: what the shared tier dropped, and which live edges applied it.</summary>
[GenerateSerializer, Immutable, Alias("op.PurgeResult")]
public sealed record PurgeResult(
    [property: Id(0)] long Sequence,
    [property: Id(1)] int SharedEntriesDropped,
    [property: Id(2)] ImmutableArray<string> EdgesApplied,
    [property: Id(3)] ImmutableArray<string> EdgesPending);

public enum SharedLookupOutcome
{
    /// <summary>A fresh stored response (possibly after waiting for another edge's fetch).</summary>
    Hit = 0,
    /// <summary>Nothing usable: the caller fetches it and stores it with the fill token; others wait for it.</summary>
    Fill = 1,
    /// <summary>Another edge is fetching it; this stale response may be served meanwhile (stale-while-revalidate).</summary>
    Stale = 2,
    /// <summary>Another edge's fetch did not finish in time: the caller goes to the backend itself.</summary>
    Backend = 3,
}

/// <param name="RequestHeaders">The request's headers (lower-case names) a stored response may vary on; credentials and cookies are never sent.</param>
/// <param name="MaxWait">How long to wait for another edge's fetch of the same key.</param>
/// <param name="FillLease">How long the caller may hold the fill before others stop waiting for it.</param>
[GenerateSerializer, Immutable, Alias("op.SharedLookupRequest")]
public sealed record SharedLookupRequest(
    [property: Id(0)] string Key,
    [property: Id(1)] ImmutableArray<CacheHeader> RequestHeaders,
    [property: Id(2)] string EdgeId,
    [property: Id(3)] TimeSpan MaxWait,
    [property: Id(4)] TimeSpan FillLease);

/// <param name="Entry">The fresh response (Hit), the stale one to serve (Stale), or a stale one to revalidate or fall back on (Fill, Backend).</param>
/// <param name="FillToken">For Fill: pass it to Store or Release.</param>
/// <param name="PurgeMark">The shard's purge count at lookup: a store of a response fetched before a later matching purge is refused.</param>
/// <param name="Collapsed">True when the caller waited for another edge's fetch.</param>
[GenerateSerializer, Immutable, Alias("op.SharedLookup")]
public sealed record SharedLookup(
    [property: Id(0)] SharedLookupOutcome Outcome,
    [property: Id(1)] CachedResponse? Entry,
    [property: Id(2)] long FillToken,
    [property: Id(3)] long PurgeMark,
    [property: Id(4)] bool Collapsed);

[GenerateSerializer, Immutable, Alias("op.CacheShardStats")]
public sealed record CacheShardStats(
    [property: Id(0)] string Shard,
    [property: Id(1)] int Keys,
    [property: Id(2)] int Entries,
    [property: Id(3)] long Bytes,
    [property: Id(4)] long MaxBytes,
    [property: Id(5)] long Hits,
    [property: Id(6)] long Misses,
    [property: Id(7)] long Collapsed,
    [property: Id(8)] long Evictions,
    [property: Id(9)] int FillsInProgress);
