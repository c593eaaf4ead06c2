using System.Collections.Immutable;

namespace Orleans.Proxy.Health;

/// <summary>Active health checks of a backend: one prober (its grain) for the whole cluster.</summary>
/// <param name="Path">HTTP path probed with GET on every destination; 2xx and 3xx are healthy.</param>
/// <param name="HealthyThreshold">Consecutive successes that make an unhealthy destination healthy again.</param>
/// <param name="UnhealthyThreshold">Consecutive failures that make a destination unhealthy.</param>
[GenerateSerializer, Immutable, Alias("op.HealthCheckSpec")]
public sealed record HealthCheckSpec(
    [property: Id(0)] string Path,
    [property: Id(1)] TimeSpan Interval,
    [property: Id(2)] TimeSpan Timeout,
    [property: Id(3)] int HealthyThreshold,
    [property: Id(4)] int UnhealthyThreshold)
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(2);
    public const int DefaultHealthyThreshold = 2;
    public const int DefaultUnhealthyThreshold = 3;
}

/// <summary>Passive health: edges report outcomes of real requests; the grain ejects on the cluster-wide failure rate.</summary>
/// <param name="Count5xx">Count 5xx answers as failures, besides transport failures.</param>
/// <param name="FailureRate">Failures / requests within <paramref name="Window"/> at or above which a destination is ejected.</param>
/// <param name="MinRequests">Requests needed in the window before the rate is judged.</param>
/// <param name="ReactivationPeriod">How long an ejected destination gets no traffic.</param>
[GenerateSerializer, Immutable, Alias("op.PassiveHealthSpec")]
public sealed record PassiveHealthSpec(
    [property: Id(0)] bool Count5xx,
    [property: Id(1)] double FailureRate,
    [property: Id(2)] int MinRequests,
    [property: Id(3)] TimeSpan Window,
    [property: Id(4)] TimeSpan ReactivationPeriod)
{
    public const double DefaultFailureRate = 0.5;
    public const int DefaultMinRequests = 10;
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan DefaultReactivationPeriod = TimeSpan.FromSeconds(30);
}

/// <summary>
/// The cluster-wide verdict every edge applies: the destinations, and those that get no traffic.
/// <see cref="Version"/> grows with every change, also across re-activations.
/// </summary>
[GenerateSerializer, Immutable, Alias("op.BackendHealth")]
public sealed record BackendHealth(
    [property: Id(0)] string ClusterId,
    [property: Id(1)] long Version,
    [property: Id(2)] ImmutableArray<string> Destinations,
    [property: Id(3)] ImmutableArray<string> Unavailable)
{
    public static BackendHealth Empty(string clusterId) => new(clusterId, 0, [], []);
}

/// <summary>One edge's outcomes for one destination since its last report.</summary>
[GenerateSerializer, Immutable, Alias("op.PassiveCount")]
public sealed record PassiveCount(
    [property: Id(0)] string DestinationId,
    [property: Id(1)] int Requests,
    [property: Id(2)] int Failures);

public enum ProbeState
{
    /// <summary>Not probed yet, or probing is off: it gets traffic.</summary>
    Unknown = 0,
    Healthy = 1,
    Unhealthy = 2,
}

/// <summary>One probe: when, how it ended ("200", "timeout", "connection refused"), and whether it counted as a success.</summary>
[GenerateSerializer, Immutable, Alias("op.ProbeResult")]
public sealed record ProbeResult(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] bool Success,
    [property: Id(2)] string Outcome,
    [property: Id(3)] double Milliseconds);

/// <summary>Everything the backend grain knows about one destination, for diagnostics.</summary>
[GenerateSerializer, Immutable, Alias("op.DestinationHealthReport")]
public sealed record DestinationHealthReport(
    [property: Id(0)] string DestinationId,
    [property: Id(1)] bool Available,
    [property: Id(2)] ProbeState Active,
    [property: Id(3)] DateTimeOffset? EjectedUntil,
    [property: Id(4)] int WindowRequests,
    [property: Id(5)] int WindowFailures,
    [property: Id(6)] ImmutableArray<ProbeResult> RecentProbes);

/// <summary>The backend grain's health view, for /diag/backends/{id}.</summary>
[GenerateSerializer, Immutable, Alias("op.BackendHealthReport")]
public sealed record BackendHealthReport(
    [property: Id(0)] BackendHealth Verdict,
    [property: Id(1)] ImmutableArray<DestinationHealthReport> Destinations,
    [property: Id(2)] int Subscribers,
    [property: Id(3)] long ProbeRounds);
