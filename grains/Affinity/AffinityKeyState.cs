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
    /// <paramref name="ttl"/>, or its destination unavailable or removed) the edge's <paramref name="choice"/>
    /// when it is available, or whatever it is when no destination is known (a backend lost with a silo
    /// cannot judge it), else the rendezvous hash of the key over the available destinations. Either way the
    /// key counts as used now. <paramref name="movedFrom"/>: the destination a live pin was moved off, else null.
    /// </summary>
    public AffinityPin Resolve(BackendHealth health, TimeSpan ttl, string? choice, out string? movedFrom)
    {
        movedFrom = null;
        var now = time.GetUtcNow();
        var unavailable = health.Unavailable.ToHashSet(StringComparer.Ordinal);
        var candidates = health.Destinations.Where(d => !unavailable.Contains(d)).ToList();
        ForgetIfIdle(now, ttl);

        // A backend grain that knows no destinations (lost and not yet rewritten) cannot judge the pin: keep it.
        var keep = _pinned is not null && (health.Destinations.IsEmpty || candidates.Contains(_pinned, StringComparer.Ordinal));
        if (!keep)
        {
            // The edge's choice is where the key's requests went while this grain did not answer (else its
            // rendezvous hash, the same as ours): pinning it keeps those sessions where they are.
            var next = !string.IsNullOrEmpty(choice) && (health.Destinations.IsEmpty || candidates.Contains(choice, StringComparer.Ordinal))
                ? choice
                : RendezvousHash.Pick(key, candidates);
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

    /// <summary>
    /// The key is in use on <paramref name="destination"/> (the TTL slides from now); with no live pin
    /// (lost with a silo while an edge kept using it) it is pinned there.
    /// </summary>
    public void Touch(TimeSpan ttl, string destination)
    {
        var now = time.GetUtcNow();
        ForgetIfIdle(now, ttl);
        if (_pinned is null && destination.Length > 0)
        {
            _pinned = destination;
        }

        _lastUsed = now;
    }

    private void ForgetIfIdle(DateTimeOffset now, TimeSpan ttl)
    {
        if (_pinned is not null && now - _lastUsed > ttl)
        {
            _pinned = null;
        }
    }

    /// <summary>What is held, without side effects.</summary>
    public AffinityPeek Peek() => new(_pinned, _pinned is null ? null : _lastUsed, _repins);
}
