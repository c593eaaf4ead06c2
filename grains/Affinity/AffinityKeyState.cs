using Orleans.Proxy.Health;

namespace Orleans.Proxy.Affinity;

/// <summary>
/// What the affinity grain holds for its key: the pinned destination, when the key was last used
/// (the TTL slides from there) and how often it has been moved. Time comes from the
/// <see cref="TimeProvider"/>, so expiry can be tested on a fake clock.
/// </summary>
internal sealed class AffinityKeyState(string key, TimeProvider time)
{
    private string? _pinned;
    private DateTimeOffset _lastUsed;
    private int _repins;

    /// <summary>
    /// The pin for <paramref name="health"/>: kept while it is available; otherwise (new key, idle past
    /// <paramref name="ttl"/>, or its destination unavailable or removed) the rendezvous hash of the key
    /// over the available destinations. Either way the key counts as used now. <paramref name="movedFrom"/>:
    /// the destination a live pin was moved off, else null.
    /// </summary>
    public AffinityPin Resolve(BackendHealth health, TimeSpan ttl, out string? movedFrom)
    {
        movedFrom = null;
        var now = time.GetUtcNow();
        var unavailable = health.Unavailable.ToHashSet(StringComparer.Ordinal);
        var candidates = health.Destinations.Where(d => !unavailable.Contains(d)).ToList();
        if (_pinned is not null && now - _lastUsed > ttl)
        {
            _pinned = null;
        }

        // A backend grain that knows no destinations (lost and not yet rewritten) cannot judge the pin: keep it.
        var keep = _pinned is not null && (health.Destinations.IsEmpty || candidates.Contains(_pinned, StringComparer.Ordinal));
        if (!keep)
        {
            var next = RendezvousHash.Pick(key, candidates);
            if (_pinned is not null && next is not null)
            {
                _repins++;
                movedFrom = _pinned;
            }

            _pinned = next;
        }

        _lastUsed = now;
        return new AffinityPin(_pinned ?? string.Empty, _repins);
    }

    /// <summary>The key is still in use (the TTL slides from now).</summary>
    public void Touch() => _lastUsed = time.GetUtcNow();

    /// <summary>What is held, without side effects.</summary>
    public AffinityPeek Peek() => new(_pinned, _pinned is null ? null : _lastUsed, _repins);
}
