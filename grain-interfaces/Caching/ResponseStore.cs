using System.Collections.Immutable;

namespace Orleans.Proxy.Caching;

/// <summary>
/// Stored responses by cache key (each key with its variants, RFC 9111 section 4.1), least recently
/// used first out, bounded in bytes. Used by the edge's memory tier and by each shard grain. Purges
/// are counted: a response fetched before a matching purge is refused when stored after it.
/// Thread-safe (one lock; every operation is short).
/// </summary>
public sealed class ResponseStore(long maxBytes, int maxVariants = 16)
{
    private const int RecentPurgesKept = 1024;

    private readonly object _gate = new();
    private readonly Dictionary<string, Node> _keys = new(StringComparer.Ordinal);
    private readonly LinkedList<Node> _lru = new();
    private readonly Queue<(long Mark, CachePurge Purge)> _recentPurges = new();
    private long _bytes;
    private int _entries;
    private long _evictions;
    private long _purgeMark;

    public long MaxBytes => maxBytes;

    public long Bytes => Volatile.Read(ref _bytes);

    public int Entries => Volatile.Read(ref _entries);

    public int Keys
    {
        get
        {
            lock (_gate)
            {
                return _keys.Count;
            }
        }
    }

    /// <summary>Entries dropped to make room (purges and expiry not counted).</summary>
    public long Evictions => Volatile.Read(ref _evictions);

    /// <summary>Purges applied so far; read it before fetching and pass it to <see cref="Set"/>.</summary>
    public long PurgeMark => Volatile.Read(ref _purgeMark);

    /// <summary>The variant of <paramref name="key"/> whose vary values match the request, most recent first; marks the key used.</summary>
    public CachedResponse? Find(string key, Func<string, string> requestHeader)
    {
        lock (_gate)
        {
            if (!_keys.TryGetValue(key, out var node))
            {
                return null;
            }

            _lru.Remove(node.Link);
            _lru.AddFirst(node.Link);
            foreach (var variant in node.Variants)
            {
                if (CacheVary.Matches(variant, requestHeader))
                {
                    return variant;
                }
            }

            return null;
        }
    }

    /// <summary>
    /// Stores a response, replacing the variant with the same vary values, and evicts the least
    /// recently used keys past the byte bound.
    /// </summary>
    /// <returns>The number of entries evicted, or -1 when refused (larger than the store, or purged since <paramref name="purgeMark"/>).</returns>
    public int Set(CachedResponse entry, long purgeMark)
    {
        var size = entry.Size;
        if (size > maxBytes)
        {
            return -1;
        }

        lock (_gate)
        {
            if (purgeMark < _purgeMark && PurgedSince(entry, purgeMark))
            {
                return -1;
            }

            if (!_keys.TryGetValue(entry.Key, out var node))
            {
                node = new Node(entry.Key);
                node.Link = _lru.AddFirst(node);
                _keys[entry.Key] = node;
            }
            else
            {
                _lru.Remove(node.Link);
                _lru.AddFirst(node.Link);
            }

            var index = node.Variants.FindIndex(v => CacheVary.SameValues(v.VaryValues, entry.VaryValues));
            if (index >= 0)
            {
                Account(node, node.Variants[index], -1);
                node.Variants.RemoveAt(index);
            }
            else if (node.Variants.Count >= maxVariants)
            {
                Account(node, node.Variants[^1], -1);
                node.Variants.RemoveAt(node.Variants.Count - 1);
            }

            node.Variants.Insert(0, entry);
            Account(node, entry, +1);
            var evicted = 0;
            while (_bytes > maxBytes && _lru.Last is { } last && last.Value != node)
            {
                evicted += RemoveNode(last.Value);
            }

            _evictions += evicted;
            return evicted;
        }
    }

    /// <summary>Drops every stored response the purge covers and counts the purge.</summary>
    public int Purge(CachePurge purge)
    {
        lock (_gate)
        {
            _purgeMark++;
            _recentPurges.Enqueue((_purgeMark, purge));
            while (_recentPurges.Count > RecentPurgesKept)
            {
                _recentPurges.Dequeue();
            }

            if (purge.Kind == CachePurgeKind.All)
            {
                var all = _entries;
                _keys.Clear();
                _lru.Clear();
                _bytes = 0;
                _entries = 0;
                return all;
            }

            return RemoveWhere(purge.Matches);
        }
    }

    /// <summary>Drops responses past their <see cref="CachedResponse.KeepUntil"/>.</summary>
    public int DropExpired(DateTimeOffset now)
    {
        lock (_gate)
        {
            return RemoveWhere(e => e.KeepUntil <= now);
        }
    }

    /// <summary>Drops one variant (e.g. a response found unusable).</summary>
    public void Remove(CachedResponse entry)
    {
        lock (_gate)
        {
            if (_keys.TryGetValue(entry.Key, out var node) && node.Variants.Remove(entry))
            {
                Account(node, entry, -1);
                if (node.Variants.Count == 0)
                {
                    _keys.Remove(node.Key);
                    _lru.Remove(node.Link);
                }
            }
        }
    }

    /// <summary>The most recently used responses, at most <paramref name="max"/>.</summary>
    public ImmutableArray<CachedResponse> Recent(int max)
    {
        lock (_gate)
        {
            return [.. _lru.SelectMany(n => n.Variants).Take(max)];
        }
    }

    private bool PurgedSince(CachedResponse entry, long purgeMark)
    {
        if (_recentPurges.Count == 0 || _recentPurges.Peek().Mark > purgeMark + 1)
        {
            // The purges since then are no longer all known: refuse, to be safe.
            return true;
        }

        foreach (var (mark, purge) in _recentPurges)
        {
            if (mark > purgeMark && purge.Matches(entry))
            {
                return true;
            }
        }

        return false;
    }

    private int RemoveWhere(Func<CachedResponse, bool> predicate)
    {
        var removed = 0;
        var link = _lru.First;
        while (link is not null)
        {
            var next = link.Next;
            var node = link.Value;
            for (var i = node.Variants.Count - 1; i >= 0; i--)
            {
                if (predicate(node.Variants[i]))
                {
                    Account(node, node.Variants[i], -1);
                    node.Variants.RemoveAt(i);
                    removed++;
                }
            }

            if (node.Variants.Count == 0)
            {
                _keys.Remove(node.Key);
                _lru.Remove(link);
            }

            link = next;
        }

        return removed;
    }

    private int RemoveNode(Node node)
    {
        var count = node.Variants.Count;
        _bytes -= node.Size;
        _entries -= count;
        _keys.Remove(node.Key);
        _lru.Remove(node.Link);
        return count;
    }

    private void Account(Node node, CachedResponse entry, int sign)
    {
        var size = entry.Size * sign;
        node.Size += size;
        _bytes += size;
        _entries += sign;
    }

    private sealed class Node(string key)
    {
        public string Key { get; } = key;

        public List<CachedResponse> Variants { get; } = [];

        public long Size { get; set; }

        public LinkedListNode<Node> Link { get; set; } = null!;
    }
}

/// <summary>Vary matching (RFC 9111 section 4.1): the stored request's values of the named headers against the new request's.</summary>
public static class CacheVary
{
    /// <summary>
    /// A header's value as compared: the field lines joined, list members trimmed and joined by ","
    /// (whitespace around commas carries no meaning), "" when absent.
    /// </summary>
    public static string Normalize(IEnumerable<string?> values)
    {
        var parts = new List<string>();
        foreach (var value in values)
        {
            if (value is null)
            {
                continue;
            }

            foreach (var part in value.Split(','))
            {
                var trimmed = part.Trim();
                if (trimmed.Length > 0)
                {
                    parts.Add(trimmed);
                }
            }
        }

        return string.Join(',', parts);
    }

    /// <param name="requestHeader">The new request's normalized value of a (lower-case) header name, "" when absent.</param>
    public static bool Matches(CachedResponse entry, Func<string, string> requestHeader)
    {
        foreach (var vary in entry.VaryValues)
        {
            if (!string.Equals(requestHeader(vary.Name), vary.Value, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    public static bool SameValues(ImmutableArray<CacheHeader> a, ImmutableArray<CacheHeader> b) =>
        a.Length == b.Length && a.SequenceEqual(b);
}
