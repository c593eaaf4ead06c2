using Microsoft.Extensions.Logging;
using Orleans.Proxy.Health;

namespace Orleans.Proxy.Affinity;

/// <summary>
/// One sticky key of one backend. It asks the backend grain (the holder of the cluster's verdict)
/// which destinations exist and are available, so the one decision to move a key is made here
/// and every edge gets the same answer. Held in memory with a sliding TTL: when lost, the key's
/// next destination is the rendezvous hash, the same one every edge falls back to.
/// </summary>
internal sealed partial class AffinityGrain(IGrainFactory grains, ILogger<AffinityGrain> logger) : Grain, IAffinityGrain
{
    private readonly TimeProvider _time = TimeProvider.System;
    private string? _pinned;
    private DateTimeOffset _lastUsed;
    private int _repins;

    public async Task<AffinityPin> Resolve(TimeSpan ttl)
    {
        var (clusterId, key) = Split(this.GetPrimaryKeyString());
        var health = await grains.GetGrain<IBackendHealthGrain>(clusterId).GetHealth();
        var now = _time.GetUtcNow();
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
                LogRepinned(clusterId, _pinned, next);
            }

            _pinned = next;
        }

        Touched(now, ttl);
        return new AffinityPin(_pinned ?? string.Empty, _repins);
    }

    public Task<AffinityPeek> Peek() =>
        Task.FromResult(new AffinityPeek(_pinned, _pinned is null ? null : _lastUsed, _repins));

    public Task Touch(TimeSpan ttl)
    {
        Touched(_time.GetUtcNow(), ttl);
        return Task.CompletedTask;
    }

    private void Touched(DateTimeOffset now, TimeSpan ttl)
    {
        _lastUsed = now;
        // Stay active for the TTL even if no edge calls: the pin must outlive quiet spells shorter than it.
        DelayDeactivation(ttl);
    }

    private static (string ClusterId, string Key) Split(string grainKey)
    {
        var separator = grainKey.IndexOf('|', StringComparison.Ordinal);
        return (grainKey[..separator], grainKey[(separator + 1)..]);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Affinity key of {ClusterId} moved from {From} (unavailable or removed) to {To}")]
    private partial void LogRepinned(string clusterId, string from, string to);
}
