using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.Health;

/// <summary>
/// The health of one backend's destinations as its grain holds it: the state of each destination,
/// what probe results and passive reports do to it, and the verdict that follows. It makes the
/// decisions; the grain owns the timers, the probes' I/O and the observers. Time comes from the
/// <see cref="TimeProvider"/>, so every decision can be replayed on a fake clock.
/// </summary>
internal sealed class BackendHealthTracker(string clusterId, TimeProvider time, ILogger logger)
{
    /// <summary>Probe results kept per destination for diagnostics.</summary>
    public const int RecentProbes = 10;

    private readonly Dictionary<string, DestinationHealthState> _destinations = new(StringComparer.Ordinal);
    private PassiveHealthSpec? _passive;
    private BackendHealth? _verdict;

    /// <summary>The active health check in force; null: no probing.</summary>
    public HealthCheckSpec? Probing { get; private set; }

    /// <summary>Probe rounds recorded since activation.</summary>
    public long ProbeRounds { get; private set; }

    /// <summary>The last verdict computed by <see cref="UpdateVerdict"/>; empty before the first.</summary>
    public BackendHealth Verdict => _verdict ?? BackendHealth.Empty(clusterId);

    /// <summary>
    /// Follows the destinations and the health settings the route source wrote. Returns true when the
    /// active health check changed (the caller restarts its probe timer for <see cref="Probing"/>).
    /// </summary>
    public bool Follow(BackendSpec backend)
    {
        var ids = backend.Destinations.Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var gone in _destinations.Keys.Where(id => !ids.Contains(id)).ToList())
        {
            _destinations.Remove(gone);
        }

        foreach (var destination in backend.Destinations)
        {
            if (!_destinations.TryGetValue(destination.Id, out var state))
            {
                _destinations[destination.Id] = new DestinationHealthState(destination.Id, destination.Address);
            }
            else
            {
                state.Address = destination.Address;
            }
        }

        _passive = backend.PassiveHealth;
        var probingChanged = backend.HealthCheck != Probing;
        if (probingChanged)
        {
            Probing = backend.HealthCheck;
            if (Probing is null)
            {
                foreach (var state in _destinations.Values)
                {
                    state.ResetActive();
                }
            }
        }

        if (_passive is null)
        {
            foreach (var state in _destinations.Values)
            {
                state.ResetPassive();
            }
        }

        return probingChanged;
    }

    /// <summary>The destinations to probe this round.</summary>
    public IReadOnlyList<ProbeTarget> ProbeTargets() => [.. _destinations.Values.Select(s => new ProbeTarget(s.Id, s.Address))];

    /// <summary>
    /// Records one round's results, <paramref name="results"/>[i] for <paramref name="targets"/>[i], probed
    /// with <paramref name="spec"/>. Results for a destination removed meanwhile, or taken with a health
    /// check that has since changed, count for nothing.
    /// </summary>
    public void RecordProbes(HealthCheckSpec spec, IReadOnlyList<ProbeTarget> targets, IReadOnlyList<ProbeResult> results)
    {
        ProbeRounds++;
        for (var i = 0; i < targets.Count; i++)
        {
            if (Probing == spec && _destinations.TryGetValue(targets[i].Id, out var state) && state.AddProbe(results[i], spec, RecentProbes) is { } changed)
            {
                logger.ProbeVerdict(clusterId, state.Id, changed, results[i].Outcome);
            }
        }
    }

    /// <summary>Adds one edge's request outcomes; false when passive health is off (the counts are dropped).</summary>
    public bool ReportPassive(IEnumerable<PassiveCount> counts)
    {
        if (_passive is not { } spec)
        {
            return false;
        }

        var now = time.GetUtcNow();
        foreach (var count in counts)
        {
            if (_destinations.TryGetValue(count.DestinationId, out var state) && state.AddPassive(now, count, spec))
            {
                logger.Ejected(clusterId, count.DestinationId, spec.ReactivationPeriod);
            }
        }

        return true;
    }

    /// <summary>How long until the earliest ejection ends (the verdict changes then without any report); null when none is ejected.</summary>
    public TimeSpan? UntilNextReactivation()
    {
        var now = time.GetUtcNow();
        var next = _destinations.Values.Where(s => s.EjectedUntil > now).Select(s => s.EjectedUntil!.Value).DefaultIfEmpty().Min();
        return next > now ? next - now : null;
    }

    /// <summary>Recomputes the verdict; returns it when it differs from the last one (the caller publishes it), else null.</summary>
    public VerdictChange? UpdateVerdict()
    {
        var now = time.GetUtcNow();
        var destinations = _destinations.Keys.Order(StringComparer.Ordinal).ToImmutableArray();
        var unavailable = _destinations.Values.Where(s => s.IsUnavailable(now)).Select(s => s.Id).Order(StringComparer.Ordinal).ToImmutableArray();
        var current = Verdict;
        if (_verdict is not null && current.Destinations.SequenceEqual(destinations) && current.Unavailable.SequenceEqual(unavailable))
        {
            return null;
        }

        // Clock-based so that a re-activated grain (after a silo loss) still counts up.
        var version = Math.Max(current.Version + 1, now.UtcTicks);
        _verdict = new BackendHealth(clusterId, version, destinations, unavailable);
        return new VerdictChange(_verdict, !current.Unavailable.SequenceEqual(unavailable));
    }

    /// <summary>Everything known about each destination, for diagnostics.</summary>
    public BackendHealthReport Report(int subscribers)
    {
        var now = time.GetUtcNow();
        var verdict = Verdict;
        var window = _passive?.Window ?? PassiveHealthSpec.DefaultWindow;
        var destinations = _destinations.Values.OrderBy(s => s.Id, StringComparer.Ordinal).Select(s =>
        {
            var (requests, failures) = s.WindowTotals(now, window);
            return new DestinationHealthReport(s.Id, !s.IsUnavailable(now), s.Active, s.EjectedUntil > now ? s.EjectedUntil : null,
                requests, failures, [.. s.Recent]);
        });
        return new BackendHealthReport(verdict, [.. destinations], subscribers, ProbeRounds);
    }
}

/// <summary>A destination to probe.</summary>
internal readonly record struct ProbeTarget(string Id, string Address);

/// <summary>A new verdict; <see cref="UnavailableChanged"/>: it takes out or puts back a destination (not only lists a new one).</summary>
internal readonly record struct VerdictChange(BackendHealth Verdict, bool UnavailableChanged);
