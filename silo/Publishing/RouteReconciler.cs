using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

using Orleans.Proxy.Translation.Ingress;
namespace Orleans.Proxy.Silo.Publishing;

/// <summary>
/// The single writer loop: a route source sets the desired state, this loop writes it. It writes
/// again after a failure, after a silo leaves the cluster (its grains are gone) and on a timer,
/// rewriting everything each time, which is how lost in-memory grain state comes back.
/// </summary>
internal sealed partial class RouteReconciler(
    RoutePublisher publisher,
    IClusterMembershipService membership,
    IOptions<RoutesOptions> options,
    ILogger<RouteReconciler> logger) : BackgroundService
{
    private readonly SemaphoreSlim _signal = new(0, int.MaxValue);
    private DesiredState? _desired;
    private volatile bool _rewriteAll = true;

    /// <summary>Called by route sources; the latest call wins (level-based).</summary>
    public void SetDesired(DesiredState desired)
    {
        Volatile.Write(ref _desired, desired);
        _signal.Release();
    }

    /// <summary>Forgets the desired state, so nothing more is written (a route source that lost its leadership).</summary>
    public void Withdraw() => Volatile.Write(ref _desired, null);

    /// <summary>Asks for a full rewrite of every grain.</summary>
    public void RequestResync()
    {
        _rewriteAll = true;
        _signal.Release();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _ = WatchMembershipAsync(stoppingToken);
        var backoff = TimeSpan.FromMilliseconds(200);
        while (!stoppingToken.IsCancellationRequested)
        {
            if (!await _signal.WaitAsync(options.Value.ResyncInterval, stoppingToken))
            {
                _rewriteAll = true;
            }

            // Collapse a burst of signals into one write of the latest state.
            while (_signal.CurrentCount > 0)
            {
                await _signal.WaitAsync(stoppingToken);
            }

            var desired = Volatile.Read(ref _desired);
            if (desired is null)
            {
                continue;
            }

            var rewriteAll = _rewriteAll;
            _rewriteAll = false;
            try
            {
                await publisher.PublishAsync(desired, rewriteAll, stoppingToken);
                backoff = TimeSpan.FromMilliseconds(200);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogPublishFailed(e, backoff);
                _rewriteAll = true;
                await Task.Delay(backoff, stoppingToken);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
                _signal.Release();
            }
        }
    }

    /// <summary>A silo that leaves takes its activations with it: rewrite as soon as the cluster notices.</summary>
    private async Task WatchMembershipAsync(CancellationToken stoppingToken)
    {
        try
        {
            var known = new HashSet<SiloAddress>();
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(stoppingToken))
            {
                var dead = snapshot.Members.Values.Where(m => m.Status == SiloStatus.Dead && known.Remove(m.SiloAddress)).ToList();
                foreach (var member in snapshot.Members.Values.Where(m => m.Status == SiloStatus.Active))
                {
                    known.Add(member.SiloAddress);
                }

                if (dead.Count > 0)
                {
                    LogSiloLost(string.Join(", ", dead.Select(d => d.SiloAddress)));
                    RequestResync();
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing routes to the grains failed; retrying in {Backoff} with a full rewrite")]
    private partial void LogPublishFailed(Exception exception, TimeSpan backoff);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo(s) {Silos} left the cluster; rewriting all routing state")]
    private partial void LogSiloLost(string silos);
}
