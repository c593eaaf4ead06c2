using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Proxy.Edge.Hosting;
using Orleans.Proxy.Edge.Routing;
using Orleans.Proxy.Health;

namespace Orleans.Proxy.Edge.Health;

/// <summary>
/// Keeps this edge's verdicts in step with the backend grains: each grain pushes a changed verdict to
/// this edge's observer; the subscription is renewed (which also returns the current verdict, the
/// poll fallback) on <see cref="EdgeOptions.PollInterval"/>, and a backend that newly has health
/// checks is subscribed within a second.
/// </summary>
internal sealed partial class HealthSync(
    IGrainFactory grains,
    RouteTableCache routes,
    BackendHealthCache verdicts,
    EdgeIdentity identity,
    TimeProvider time,
    IOptions<EdgeOptions> options,
    ILogger<HealthSync> logger) : BackgroundService, IBackendHealthObserver
{
    // Well inside the grain's observer expiry (three minutes).
    private static readonly TimeSpan MaxRenewal = TimeSpan.FromMinutes(1);

    public void OnHealthChanged(BackendHealth health) => verdicts.Apply(health, current: false);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var observer = grains.CreateObjectReference<IBackendHealthObserver>(this);
        var subscribed = new Dictionary<string, long>(StringComparer.Ordinal);
        var renewal = options.Value.PollInterval < MaxRenewal ? options.Value.PollInterval : MaxRenewal;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var wanted = routes.Current.Backends.Values
                    .Where(b => b.HealthCheck is not null || b.PassiveHealth is not null)
                    .Select(b => b.ClusterId)
                    .ToHashSet(StringComparer.Ordinal);
                foreach (var gone in subscribed.Keys.Where(k => !wanted.Contains(k)).ToList())
                {
                    subscribed.Remove(gone);
                    verdicts.Remove(gone);
                    grains.GetGrain<IBackendHealthGrain>(gone).UnsubscribeHealth(observer).Ignore();
                }

                var due = wanted.Where(id => !subscribed.TryGetValue(id, out var at) || time.GetElapsedTime(at) >= renewal).ToList();
                if (due.Count > 0)
                {
                    try
                    {
                        var current = await Task.WhenAll(due.Select(id => grains.GetGrain<IBackendHealthGrain>(id).SubscribeHealth(identity.Id, observer)));
                        foreach (var verdict in current)
                        {
                            verdicts.Apply(verdict, current: true);
                            subscribed[verdict.ClusterId] = time.GetTimestamp();
                        }

                        verdicts.SetConnected(true);
                    }
                    catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                    {
                        if (verdicts.Connected)
                        {
                            LogUnreachable(e);
                        }

                        verdicts.SetConnected(false);
                    }
                }

                await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            grains.DeleteObjectReference<IBackendHealthObserver>(observer);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Backend health verdicts unreachable; YARP's local passive checks decide until they return")]
    private partial void LogUnreachable(Exception exception);
}
