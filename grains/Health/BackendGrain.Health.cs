using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http;
using Microsoft.Extensions.Logging;
using Orleans.Proxy.Health;
using Orleans.Utilities;

namespace Orleans.Proxy.Routing;

/// <summary>
/// The health half of the backend grain. A grain has one activation in the cluster, so its timer is
/// the only prober of these destinations however many edges run, and its verdict is the one every
/// edge applies. State is in memory: after a silo loss the route source rewrites the destinations,
/// probing starts again, and until the first verdicts every destination counts as available.
/// </summary>
internal sealed partial class BackendGrain(IHttpClientFactory httpClients, ILogger<BackendGrain> logger) : IBackendHealthGrain
{
    private const int RecentProbes = 10;

    private readonly ObserverManager<IBackendHealthObserver> _observers = new(TimeSpan.FromMinutes(3), logger);
    private readonly Dictionary<string, DestinationHealthState> _health = new(StringComparer.Ordinal);
    private readonly TimeProvider _time = TimeProvider.System;
    private IGrainTimer? _probeTimer;
    private HealthCheckSpec? _probing;
    private IGrainTimer? _reactivationTimer;
    private BackendHealth? _verdict;
    private long _probeRounds;

    public Task<BackendHealth> SubscribeHealth(string edgeId, IBackendHealthObserver observer)
    {
        _observers.Subscribe(observer, observer);
        return Task.FromResult(Verdict);
    }

    public Task UnsubscribeHealth(IBackendHealthObserver observer)
    {
        _observers.Unsubscribe(observer);
        return Task.CompletedTask;
    }

    public Task<BackendHealth> GetHealth() => Task.FromResult(Verdict);

    public Task ReportPassive(string edgeId, ImmutableArray<PassiveCount> counts)
    {
        if (_backend.Value?.PassiveHealth is not { } spec)
        {
            return Task.CompletedTask;
        }

        var now = _time.GetUtcNow();
        foreach (var count in counts)
        {
            if (_health.TryGetValue(count.DestinationId, out var state) && state.AddPassive(now, count, spec))
            {
                LogEjected(this.GetPrimaryKeyString(), count.DestinationId, spec.ReactivationPeriod);
            }
        }

        ScheduleReactivation(now);
        PublishIfChanged();
        return Task.CompletedTask;
    }

    public Task<BackendHealthReport> GetHealthReport()
    {
        var now = _time.GetUtcNow();
        var verdict = Verdict;
        var window = _backend.Value?.PassiveHealth?.Window ?? PassiveHealthSpec.DefaultWindow;
        var destinations = _health.Values.OrderBy(s => s.Id, StringComparer.Ordinal).Select(s =>
        {
            var (requests, failures) = s.WindowTotals(now, window);
            return new DestinationHealthReport(s.Id, !s.IsUnavailable(now), s.Active, s.EjectedUntil > now ? s.EjectedUntil : null,
                requests, failures, [.. s.Recent]);
        });
        return Task.FromResult(new BackendHealthReport(verdict, [.. destinations], _observers.Count, _probeRounds));
    }

    private BackendHealth Verdict => _verdict ?? BackendHealth.Empty(this.GetPrimaryKeyString());

    /// <summary>Follows the destinations and the health settings the route source wrote.</summary>
    private void OnBackendChanged(BackendSpec backend)
    {
        var ids = backend.Destinations.Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var gone in _health.Keys.Where(id => !ids.Contains(id)).ToList())
        {
            _health.Remove(gone);
        }

        foreach (var destination in backend.Destinations)
        {
            if (!_health.TryGetValue(destination.Id, out var state))
            {
                _health[destination.Id] = new DestinationHealthState(destination.Id, destination.Address);
            }
            else
            {
                state.Address = destination.Address;
            }
        }

        if (backend.HealthCheck != _probing)
        {
            _probeTimer?.Dispose();
            _probeTimer = null;
            _probing = backend.HealthCheck;
            if (_probing is { } spec)
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
            else
            {
                foreach (var state in _health.Values)
                {
                    state.ResetActive();
                }
            }
        }

        if (backend.PassiveHealth is null)
        {
            foreach (var state in _health.Values)
            {
                state.ResetPassive();
            }
        }

        PublishIfChanged();
    }

    /// <summary>One round: every destination probed in parallel; interleaved, so grain calls are not held up by slow probes.</summary>
    private async Task ProbeAllAsync(CancellationToken cancellationToken)
    {
        if (_probing is not { } spec)
        {
            return;
        }

        var client = httpClients.CreateClient(BackendProbes.HttpClientName);
        var targets = _health.Values.Select(s => (s.Id, s.Address)).ToList();
        var results = await Task.WhenAll(targets.Select(t => ProbeAsync(client, t.Address, spec, cancellationToken)));
        _probeRounds++;
        for (var i = 0; i < targets.Count; i++)
        {
            // A destination removed while its probe ran is simply not there any more.
            if (_probing == spec && _health.TryGetValue(targets[i].Id, out var state) && state.AddProbe(results[i], spec, RecentProbes) is { } changed)
            {
                LogProbeVerdict(this.GetPrimaryKeyString(), state.Id, changed, results[i].Outcome);
            }
        }

        PublishIfChanged();
    }

    private async Task<ProbeResult> ProbeAsync(HttpClient client, string address, HealthCheckSpec spec, CancellationToken cancellationToken)
    {
        var at = _time.GetUtcNow();
        var started = Stopwatch.GetTimestamp();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(spec.Timeout);
        bool success;
        string outcome;
        try
        {
            using var response = await client.GetAsync(new Uri(new Uri(address), spec.Path), HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var status = (int)response.StatusCode;
            success = status is >= 200 and < 400;
            outcome = status.ToString(CultureInfo.InvariantCulture);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            success = false;
            outcome = $"timeout after {spec.Timeout.TotalMilliseconds:0} ms";
        }
        catch (HttpRequestException e)
        {
            success = false;
            outcome = e.HttpRequestError.ToString();
        }

        return new ProbeResult(at, success, outcome, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>A one-shot timer at the end of the earliest ejection, so edges get traffic back to it without a report arriving.</summary>
    private void ScheduleReactivation(DateTimeOffset now)
    {
        _reactivationTimer?.Dispose();
        _reactivationTimer = null;
        var next = _health.Values.Where(s => s.EjectedUntil > now).Select(s => s.EjectedUntil!.Value).DefaultIfEmpty().Min();
        if (next > now)
        {
            _reactivationTimer = this.RegisterGrainTimer(() =>
            {
                var at = _time.GetUtcNow();
                ScheduleReactivation(at);
                PublishIfChanged();
                return Task.CompletedTask;
            }, new GrainTimerCreationOptions { DueTime = next - now, Period = Timeout.InfiniteTimeSpan, Interleave = true, KeepAlive = true });
        }
    }

    /// <summary>Recomputes the verdict and pushes it to every subscribed edge when it differs from the last one.</summary>
    private void PublishIfChanged()
    {
        var now = _time.GetUtcNow();
        var destinations = _health.Keys.Order(StringComparer.Ordinal).ToImmutableArray();
        var unavailable = _health.Values.Where(s => s.IsUnavailable(now)).Select(s => s.Id).Order(StringComparer.Ordinal).ToImmutableArray();
        var current = Verdict;
        if (_verdict is not null && current.Destinations.SequenceEqual(destinations) && current.Unavailable.SequenceEqual(unavailable))
        {
            return;
        }

        // Clock-based so that a re-activated grain (after a silo loss) still counts up.
        var version = Math.Max(current.Version + 1, now.UtcTicks);
        _verdict = new BackendHealth(this.GetPrimaryKeyString(), version, destinations, unavailable);
        if (!current.Unavailable.SequenceEqual(unavailable))
        {
            LogVerdict(this.GetPrimaryKeyString(), string.Join(", ", unavailable), _observers.Count);
        }

        var verdict = _verdict;
        _observers.Notify(o => o.OnHealthChanged(verdict));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Backend {ClusterId}: destination {DestinationId} is now {State} (probe: {Outcome})")]
    private partial void LogProbeVerdict(string clusterId, string destinationId, ProbeState state, string outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Backend {ClusterId}: destination {DestinationId} ejected for {Period} (cluster-wide failure rate over the threshold)")]
    private partial void LogEjected(string clusterId, string destinationId, TimeSpan period);

    [LoggerMessage(Level = LogLevel.Information, Message = "Backend {ClusterId}: unavailable destinations now [{Unavailable}], pushed to {Observers} edges")]
    private partial void LogVerdict(string clusterId, string unavailable, int observers);
}
