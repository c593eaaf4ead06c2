using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Orleans.Proxy.Health;
using Orleans.Utilities;

namespace Orleans.Proxy.Routing;

/// <summary>
/// One backend: its destinations as the route source wrote them, and their health. A grain has one
/// activation in the cluster, so its timer is the only prober of these destinations however many
/// edges run, and its verdict is the one every edge applies. State is in memory: after a silo loss
/// the route source rewrites the destinations, probing starts again, and until the first verdicts
/// every destination counts as available. The health decisions are <see cref="BackendHealthTracker"/>'s;
/// this grain runs its timers and probes and pushes its verdicts.
/// </summary>
internal sealed class BackendGrain : Grain, IBackendGrain, IBackendHealthGrain
{
    private readonly NewestVersion<BackendSpec> _backend = new();
    private readonly ObserverManager<IBackendHealthObserver> _observers;
    private readonly BackendHealthTracker _health;
    private readonly DestinationProber _prober;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private IGrainTimer? _probeTimer;
    private IGrainTimer? _reactivationTimer;

    public BackendGrain(IHttpClientFactory httpClients, TimeProvider time, ILogger<BackendGrain> logger)
    {
        _logger = logger;
        _time = time;
        _observers = new ObserverManager<IBackendHealthObserver>(TimeSpan.FromMinutes(3), logger);
        _health = new BackendHealthTracker(this.GetPrimaryKeyString(), time, logger);
        _prober = new DestinationProber(httpClients, time);
    }

    public Task<VersionedWrite> SetBackend(BackendSpec backend)
    {
        var write = _backend.TrySet(backend, _time.GetUtcNow());
        if (write.Stored)
        {
            if (_health.Follow(backend))
            {
                RestartProbing();
            }

            PublishIfChanged();
        }

        return Task.FromResult(write);
    }

    public Task<BackendSpec> GetBackend() => Task.FromResult(_backend.Value ?? BackendSpec.Empty(this.GetPrimaryKeyString()));

    public Task<BackendHealth> SubscribeHealth(string edgeId, IBackendHealthObserver observer)
    {
        _observers.Subscribe(observer, observer);
        return Task.FromResult(_health.Verdict);
    }

    public Task UnsubscribeHealth(IBackendHealthObserver observer)
    {
        _observers.Unsubscribe(observer);
        return Task.CompletedTask;
    }

    public Task<BackendHealth> GetHealth() => Task.FromResult(_health.Verdict);

    public Task ReportPassive(string edgeId, ImmutableArray<PassiveCount> counts)
    {
        if (_health.ReportPassive(counts))
        {
            ScheduleReactivation();
            PublishIfChanged();
        }

        return Task.CompletedTask;
    }

    public Task<BackendHealthReport> GetHealthReport() => Task.FromResult(_health.Report(_observers.Count));

    private void RestartProbing()
    {
        _probeTimer?.Dispose();
        _probeTimer = null;
        if (_health.Probing is { } spec)
        {
            // KeepAlive: the prober must not be collected as idle; edges never call it per request.
            _probeTimer = this.RegisterGrainTimer(ProbeAllAsync, new GrainTimerCreationOptions
            {
                DueTime = TimeSpan.Zero,
                Period = spec.Interval,
                Interleave = true,
                KeepAlive = true,
            });
        }
    }

    /// <summary>One round: every destination probed in parallel; interleaved, so grain calls are not held up by slow probes.</summary>
    private async Task ProbeAllAsync(CancellationToken cancellationToken)
    {
        if (_health.Probing is not { } spec)
        {
            return;
        }

        var targets = _health.ProbeTargets();
        var results = await _prober.ProbeAllAsync(targets, spec, cancellationToken);
        _health.RecordProbes(spec, targets, results);
        PublishIfChanged();
    }

    /// <summary>A one-shot timer at the end of the earliest ejection, so edges get traffic back to it without a report arriving.</summary>
    private void ScheduleReactivation()
    {
        _reactivationTimer?.Dispose();
        _reactivationTimer = null;
        if (_health.UntilNextReactivation() is { } due)
        {
            _reactivationTimer = this.RegisterGrainTimer(() =>
            {
                ScheduleReactivation();
                PublishIfChanged();
                return Task.CompletedTask;
            }, new GrainTimerCreationOptions { DueTime = due, Period = Timeout.InfiniteTimeSpan, Interleave = true, KeepAlive = true });
        }
    }

    /// <summary>Pushes the verdict to every subscribed edge when it differs from the last one.</summary>
    private void PublishIfChanged()
    {
        if (_health.UpdateVerdict() is not { } change)
        {
            return;
        }

        if (change.UnavailableChanged)
        {
            _logger.VerdictPushed(change.Verdict.ClusterId, string.Join(", ", change.Verdict.Unavailable), _observers.Count);
        }

        var verdict = change.Verdict;
        _observers.Notify(o => o.OnHealthChanged(verdict));
    }
}
