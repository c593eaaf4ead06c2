using System.Collections.Immutable;

namespace Orleans.Proxy.Health;

/// <summary>Receives the health verdict of a backend whenever it changes.</summary>
[Alias("op.IBackendHealthObserver")]
public interface IBackendHealthObserver : IGrainObserver
{
    [Alias("OnHealthChanged")]
    void OnHealthChanged(BackendHealth health);
}

/// <summary>
/// The health side of the backend grain (same key, same activation as <c>IBackendGrain</c>):
/// the one prober of the cluster's destinations and the holder of its verdict.
/// </summary>
[Alias("op.IBackendHealthGrain")]
public interface IBackendHealthGrain : IGrainWithStringKey
{
    /// <summary>Registers or renews an observer (it expires unless renewed) and returns the current verdict.</summary>
    [Alias("SubscribeHealth"), ResponseTimeout("00:00:05")]
    Task<BackendHealth> SubscribeHealth(string edgeId, IBackendHealthObserver observer);

    [Alias("UnsubscribeHealth"), ResponseTimeout("00:00:05")]
    Task UnsubscribeHealth(IBackendHealthObserver observer);

    [Alias("GetHealth"), ResponseTimeout("00:00:02")]
    Task<BackendHealth> GetHealth();

    /// <summary>One edge's aggregated request outcomes since its last report (sent about once a second, never per request).</summary>
    [Alias("ReportPassive"), ResponseTimeout("00:00:05")]
    Task ReportPassive(string edgeId, ImmutableArray<PassiveCount> counts);

    [Alias("GetHealthReport"), ResponseTimeout("00:00:05")]
    Task<BackendHealthReport> GetHealthReport();
}
