using Microsoft.Extensions.Logging;
using Orleans.Proxy.Health;

namespace Orleans.Proxy.Affinity;

/// <summary>
/// One sticky key of one backend. It asks the backend grain (the holder of the cluster's verdict)
/// which destinations exist and are available, so the one decision to move a key is made here
/// and every edge gets the same answer. Held in memory with a sliding TTL: when lost, the key is
/// pinned again where an edge says it sends it (its cached pin, the destination an affinity cookie
/// names, or the rendezvous hash every edge falls back to). The pin logic is <see cref="AffinityKeyState"/>'s.
/// </summary>
internal sealed partial class AffinityGrain : Grain, IAffinityGrain
{
    private readonly IGrainFactory _grains;
    private readonly ILogger<AffinityGrain> _logger;
    private readonly string _clusterId;
    private readonly AffinityKeyState _state;

    public AffinityGrain(IGrainFactory grains, TimeProvider time, ILogger<AffinityGrain> logger)
    {
        _grains = grains;
        _logger = logger;
        var (clusterId, key) = Split(this.GetPrimaryKeyString());
        _clusterId = clusterId;
        _state = new AffinityKeyState(key, time);
    }

    public async Task<AffinityPin> Resolve(TimeSpan ttl, string? choice)
    {
        var health = await _grains.GetGrain<IBackendHealthGrain>(_clusterId).GetHealth();
        var pin = _state.Resolve(health, ttl, choice, out var movedFrom);
        if (movedFrom is not null)
        {
            LogRepinned(_clusterId, movedFrom, pin.DestinationId);
        }

        StayFor(ttl);
        return pin;
    }

    public Task<AffinityPeek> Peek() => Task.FromResult(_state.Peek());

    public Task Touch(TimeSpan ttl, string destination)
    {
        _state.Touch(ttl, destination);
        StayFor(ttl);
        return Task.CompletedTask;
    }

    /// <summary>Stay active for the TTL even if no edge calls: the pin must outlive quiet spells shorter than it.</summary>
    private void StayFor(TimeSpan ttl) => DelayDeactivation(ttl);

    private static (string ClusterId, string Key) Split(string grainKey)
    {
        var separator = grainKey.IndexOf('|', StringComparison.Ordinal);
        return (grainKey[..separator], grainKey[(separator + 1)..]);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Affinity key of {ClusterId} moved from {From} (unavailable or removed) to {To}")]
    private partial void LogRepinned(string clusterId, string from, string to);
}
