using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Orleans.Proxy.Health;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.UnitTests.Health;

/// <summary>The backend grain's health decisions (probe thresholds, passive ejection and return), on a fake clock.</summary>
public sealed class BackendHealthTrackerTests
{
    private const string A = "10.0.0.1:80";
    private const string B = "10.0.0.2:80";

    private static readonly HealthCheckSpec Probes = new("/healthz", TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2), HealthyThreshold: 2, UnhealthyThreshold: 3);

    private static readonly PassiveHealthSpec Passive = new(Count5xx: true, FailureRate: 0.5, MinRequests: 10,
        Window: TimeSpan.FromSeconds(10), ReactivationPeriod: TimeSpan.FromSeconds(30));

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private static BackendSpec Backend(HealthCheckSpec? probes = null, PassiveHealthSpec? passive = null, params string[] destinations) =>
        new("ns/web:80", 1, [.. (destinations.Length == 0 ? [A, B] : destinations).Select(d => new DestinationSpec(d, $"http://{d}/"))])
        {
            HealthCheck = probes,
            PassiveHealth = passive,
        };

    private BackendHealthTracker Tracker(BackendSpec backend)
    {
        var tracker = new BackendHealthTracker("ns/web:80", _time, NullLogger.Instance);
        tracker.Follow(backend);
        tracker.UpdateVerdict();
        return tracker;
    }

    /// <summary>One probe round in which each listed destination gets the given outcome (the others succeed).</summary>
    private void Round(BackendHealthTracker tracker, params (string Id, bool Success)[] outcomes)
    {
        var spec = tracker.Probing!;
        var targets = tracker.ProbeTargets();
        var results = targets.Select(t =>
        {
            var success = outcomes.Where(o => o.Id == t.Id).Select(o => o.Success).DefaultIfEmpty(true).First();
            return new ProbeResult(_time.GetUtcNow(), success, success ? "200" : "503", 1);
        }).ToList();
        tracker.RecordProbes(spec, targets, results);
        _time.Advance(spec.Interval);
    }

    private static IReadOnlyList<string> Unavailable(BackendHealthTracker tracker)
    {
        tracker.UpdateVerdict();
        return tracker.Verdict.Unavailable;
    }

    [Fact]
    public void RecordProbes_FailuresBelowUnhealthyThreshold_DestinationStaysAvailable()
    {
        var tracker = Tracker(Backend(Probes));

        Round(tracker, (A, false));
        Round(tracker, (A, false));

        Assert.Empty(Unavailable(tracker));
    }

    [Fact]
    public void RecordProbes_ConsecutiveFailuresReachUnhealthyThreshold_DestinationUnavailable()
    {
        var tracker = Tracker(Backend(Probes));

        for (var i = 0; i < Probes.UnhealthyThreshold; i++)
        {
            Round(tracker, (A, false));
        }

        Assert.Equal([A], Unavailable(tracker));
        Assert.Equal(ProbeState.Unhealthy, tracker.Report(0).Destinations.Single(d => d.DestinationId == A).Active);
    }

    [Fact]
    public void RecordProbes_SuccessBetweenFailures_StreakStartsAgain()
    {
        var tracker = Tracker(Backend(Probes));

        Round(tracker, (A, false));
        Round(tracker, (A, false));
        Round(tracker, (A, true));
        Round(tracker, (A, false));
        Round(tracker, (A, false));

        Assert.Empty(Unavailable(tracker));
    }

    [Fact]
    public void RecordProbes_UnhealthyThenSuccessesReachHealthyThreshold_DestinationReturns()
    {
        var tracker = Tracker(Backend(Probes));
        for (var i = 0; i < Probes.UnhealthyThreshold; i++)
        {
            Round(tracker, (A, false));
        }

        Round(tracker, (A, true));
        Assert.Equal([A], Unavailable(tracker));

        Round(tracker, (A, true));
        Assert.Empty(Unavailable(tracker));
        Assert.Equal(ProbeState.Healthy, tracker.Report(0).Destinations.Single(d => d.DestinationId == A).Active);
    }

    [Fact]
    public void RecordProbes_HealthCheckChangedDuringRound_ResultsCountForNothing()
    {
        var tracker = Tracker(Backend(Probes));
        var targets = tracker.ProbeTargets();
        var stale = tracker.Probing!;
        Assert.True(tracker.Follow(Backend(Probes with { UnhealthyThreshold = 1 })));

        tracker.RecordProbes(stale, targets, [.. targets.Select(_ => new ProbeResult(_time.GetUtcNow(), false, "503", 1))]);

        Assert.Empty(Unavailable(tracker));
        Assert.Equal(1, tracker.ProbeRounds);
    }

    [Fact]
    public void RecordProbes_DestinationRemovedDuringRound_NotBroughtBack()
    {
        var tracker = Tracker(Backend(Probes with { UnhealthyThreshold = 1 }));
        var targets = tracker.ProbeTargets();
        tracker.Follow(Backend(Probes with { UnhealthyThreshold = 1 }, null, B));

        tracker.RecordProbes(tracker.Probing!, targets, [.. targets.Select(_ => new ProbeResult(_time.GetUtcNow(), false, "503", 1))]);

        Assert.Equal([B], Unavailable(tracker));
        Assert.Equal<string>([B], tracker.Verdict.Destinations);
    }

    [Fact]
    public void RecordProbes_ManyRounds_KeepsOnlyRecentProbes()
    {
        var tracker = Tracker(Backend(Probes));

        for (var i = 0; i < BackendHealthTracker.RecentProbes + 5; i++)
        {
            Round(tracker);
        }

        Assert.Equal(BackendHealthTracker.RecentProbes, tracker.Report(0).Destinations[0].RecentProbes.Length);
    }

    [Fact]
    public void Follow_HealthCheckRemoved_UnhealthyDestinationAvailableAgain()
    {
        var tracker = Tracker(Backend(Probes with { UnhealthyThreshold = 1 }));
        Round(tracker, (A, false));
        Assert.Equal([A], Unavailable(tracker));

        Assert.True(tracker.Follow(Backend()));

        Assert.Null(tracker.Probing);
        Assert.Empty(Unavailable(tracker));
        Assert.Equal(ProbeState.Unknown, tracker.Report(0).Destinations.Single(d => d.DestinationId == A).Active);
    }

    [Fact]
    public void Follow_SameHealthCheck_ProbingNotRestarted()
    {
        var tracker = Tracker(Backend(Probes));

        Assert.False(tracker.Follow(Backend(Probes, null, A, B, "10.0.0.3:80")));
        Assert.True(tracker.Follow(Backend(Probes with { Interval = TimeSpan.FromSeconds(5) })));
    }

    [Fact]
    public void ReportPassive_FailureRateReachedOverSeveralEdges_EjectedForReactivationPeriod()
    {
        var tracker = Tracker(Backend(passive: Passive));

        // Each edge alone stays under the minimum; together they reach it, with half failing.
        tracker.ReportPassive([new PassiveCount(A, 5, 3)]);
        Assert.Empty(Unavailable(tracker));
        tracker.ReportPassive([new PassiveCount(A, 5, 2)]);

        Assert.Equal([A], Unavailable(tracker));
        Assert.Equal(Passive.ReactivationPeriod, tracker.UntilNextReactivation());
        Assert.Equal(_time.GetUtcNow() + Passive.ReactivationPeriod, tracker.Report(0).Destinations.Single(d => d.DestinationId == A).EjectedUntil);
    }

    [Fact]
    public void ReportPassive_FewerRequestsThanMinimum_NotEjected()
    {
        var tracker = Tracker(Backend(passive: Passive));

        tracker.ReportPassive([new PassiveCount(A, Passive.MinRequests - 1, Passive.MinRequests - 1)]);

        Assert.Empty(Unavailable(tracker));
        Assert.Null(tracker.UntilNextReactivation());
    }

    [Fact]
    public void ReportPassive_FailureRateBelowThreshold_NotEjected()
    {
        var tracker = Tracker(Backend(passive: Passive));

        tracker.ReportPassive([new PassiveCount(A, 100, 49)]);

        Assert.Empty(Unavailable(tracker));
    }

    [Fact]
    public void ReportPassive_CountsOlderThanWindow_NoLongerAddUp()
    {
        var tracker = Tracker(Backend(passive: Passive));
        tracker.ReportPassive([new PassiveCount(A, 5, 5)]);

        _time.Advance(Passive.Window + TimeSpan.FromMilliseconds(1));
        tracker.ReportPassive([new PassiveCount(A, 5, 5)]);

        Assert.Empty(Unavailable(tracker));
        var report = tracker.Report(0).Destinations.Single(d => d.DestinationId == A);
        Assert.Equal((5, 5), (report.WindowRequests, report.WindowFailures));
    }

    [Fact]
    public void UpdateVerdict_ReactivationPeriodOver_EjectedDestinationReturns()
    {
        var tracker = Tracker(Backend(passive: Passive));
        tracker.ReportPassive([new PassiveCount(A, 10, 10)]);
        Assert.Equal([A], Unavailable(tracker));

        _time.Advance(Passive.ReactivationPeriod - TimeSpan.FromTicks(1));
        Assert.Null(tracker.UpdateVerdict());
        Assert.Equal(TimeSpan.FromTicks(1), tracker.UntilNextReactivation());

        _time.Advance(TimeSpan.FromTicks(1));
        var change = tracker.UpdateVerdict();

        Assert.NotNull(change);
        Assert.True(change.Value.UnavailableChanged);
        Assert.Empty(change.Value.Verdict.Unavailable);
        Assert.Null(tracker.UntilNextReactivation());
    }

    [Fact]
    public void ReportPassive_FailuresWhileEjected_DoNotCountAfterReturn()
    {
        // A window longer than the ejection: what came in during it would still be in the window.
        var tracker = Tracker(Backend(passive: Passive with { Window = TimeSpan.FromMinutes(1) }));
        tracker.ReportPassive([new PassiveCount(A, 10, 10)]);
        // Requests already under way when the ejection was decided.
        tracker.ReportPassive([new PassiveCount(A, 8, 8)]);

        _time.Advance(Passive.ReactivationPeriod);
        tracker.ReportPassive([new PassiveCount(A, 2, 2)]);

        Assert.Empty(Unavailable(tracker));
    }

    [Fact]
    public void ReportPassive_PassiveHealthOff_CountsDropped()
    {
        var tracker = Tracker(Backend());

        Assert.False(tracker.ReportPassive([new PassiveCount(A, 100, 100)]));
        Assert.Empty(Unavailable(tracker));
    }

    [Fact]
    public void Follow_PassiveHealthTurnedOff_EjectionLifted()
    {
        var tracker = Tracker(Backend(passive: Passive));
        tracker.ReportPassive([new PassiveCount(A, 10, 10)]);

        tracker.Follow(Backend());

        Assert.Empty(Unavailable(tracker));
        Assert.Null(tracker.UntilNextReactivation());
    }

    [Fact]
    public void UpdateVerdict_NothingChanged_NoNewVerdict()
    {
        var tracker = Tracker(Backend(Probes));

        Round(tracker);

        Assert.Null(tracker.UpdateVerdict());
    }

    [Fact]
    public void UpdateVerdict_TwoChangesAtOneInstant_VersionStillGrows()
    {
        var tracker = Tracker(Backend(passive: Passive));
        var first = tracker.Verdict.Version;
        Assert.Equal(_time.GetUtcNow().UtcTicks, first);

        tracker.ReportPassive([new PassiveCount(A, 10, 10)]);
        var change = tracker.UpdateVerdict();

        Assert.Equal(first + 1, change!.Value.Verdict.Version);
    }

    [Fact]
    public void UpdateVerdict_DestinationAdded_NewVerdictWithoutAvailabilityChange()
    {
        var tracker = Tracker(Backend(Probes));

        tracker.Follow(Backend(Probes, null, A, B, "10.0.0.3:80"));
        var change = tracker.UpdateVerdict();

        Assert.NotNull(change);
        Assert.False(change.Value.UnavailableChanged);
        Assert.Equal(3, change.Value.Verdict.Destinations.Length);
    }
}
