using System.Collections.Concurrent;
using System.Collections.Immutable;
using Orleans.Proxy.Edge.Routing;
using Orleans.Proxy.Health;

namespace Orleans.Proxy.Edge.Health;

/// <summary>
/// The cluster-wide health verdicts this edge applies, one per backend with health checks. A change
/// makes the backend's available destinations recomputed at once, through
/// <see cref="VerdictDestinationsPolicy"/>; requests never wait on it.
/// </summary>
internal sealed class BackendHealthCache(BackendStates backends, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, (BackendHealth Verdict, DateTimeOffset ReceivedAt)> _verdicts = new(StringComparer.Ordinal);
    private volatile bool _connected = true;

    /// <summary>False while the backend grains cannot be reached: YARP's local passive checks decide meanwhile.</summary>
    public bool Connected => _connected;

    public IEnumerable<string> ClusterIds => _verdicts.Keys;

    public bool TryGet(string clusterId, out BackendHealth verdict, out DateTimeOffset receivedAt)
    {
        var found = _verdicts.TryGetValue(clusterId, out var entry);
        (verdict, receivedAt) = entry;
        return found;
    }

    /// <summary>The destinations the verdict takes out of rotation; null when there is no verdict to apply.</summary>
    public ImmutableArray<string>? UnavailableFor(string clusterId) =>
        _connected && _verdicts.TryGetValue(clusterId, out var entry) ? entry.Verdict.Unavailable : null;

    /// <summary>Applies a verdict unless an equal or newer one is held; <paramref name="current"/>: the grain's current one (a poll), always applied.</summary>
    public void Apply(BackendHealth verdict, bool current)
    {
        var changed = false;
        _verdicts.AddOrUpdate(verdict.ClusterId,
            _ =>
            {
                changed = true;
                return (verdict, time.GetUtcNow());
            },
            (_, held) =>
            {
                if (!current && verdict.Version <= held.Verdict.Version)
                {
                    return held;
                }

                changed = !held.Verdict.Unavailable.SequenceEqual(verdict.Unavailable);
                return (verdict, time.GetUtcNow());
            });
        if (changed)
        {
            backends.RefreshAvailable(verdict.ClusterId);
        }
    }

    public void Remove(string clusterId)
    {
        if (_verdicts.TryRemove(clusterId, out _))
        {
            backends.RefreshAvailable(clusterId);
        }
    }

    public void SetConnected(bool connected)
    {
        if (_connected == connected)
        {
            return;
        }

        _connected = connected;
        foreach (var clusterId in _verdicts.Keys)
        {
            backends.RefreshAvailable(clusterId);
        }
    }
}
