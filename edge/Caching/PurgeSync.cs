using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Proxy.Caching;
using Orleans.Proxy.Edge.Hosting;

namespace Orleans.Proxy.Edge.Caching;

/// <summary>
/// Long-polls the purge log and applies each purge to the memory tier as soon as it is logged (a
/// grain round trip after the purge). Each poll also tells the log what this edge has applied, so a
/// purge request can wait for every live edge. When the log was lost or no longer reaches back far
/// enough, the whole memory tier is dropped.
/// </summary>
internal sealed partial class PurgeSync(IGrainFactory grains, EdgeCache cache, EdgeIdentity identity, IOptions<CachingOptions> options, TimeProvider time, ILogger<PurgeSync> logger) : BackgroundService
{
    private long _epoch;
    private long _applied;

    public long Applied => Volatile.Read(ref _applied);

    public bool Connected { get; private set; }

    public string? LastError { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var wait = options.Value.PurgePollWait;
        var log = grains.GetGrain<ICachePurgeGrain>(ICachePurgeGrain.DefaultKey);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var purges = await log.WaitForPurges(identity.Id, _epoch, _applied, wait).WaitAsync(wait + TimeSpan.FromSeconds(10), stoppingToken);
                if (purges.Epoch != _epoch || purges.Truncated)
                {
                    // A first poll (nothing stored yet), a lost log, or a gap: what was missed is unknown.
                    var dropped = cache.Memory.Purge(new CachePurge(CachePurgeKind.All, string.Empty, string.Empty));
                    var restarted = _epoch != 0;
                    if (restarted || dropped > 0)
                    {
                        LogReset(logger, dropped);
                    }

                    _epoch = purges.Epoch;
                    Volatile.Write(ref _applied, purges.Sequence);
                    if (restarted)
                    {
                        // A log that restarts on every call (a silo shutting down reactivates it each time) answers at once:
                        // without a pause this loop spun and logged as fast as the calls returned.
                        await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken);
                    }
                }
                else
                {
                    foreach (var purge in purges.Purges)
                    {
                        var dropped = cache.Memory.Purge(purge.Purge);
                        LogApplied(logger, purge.Sequence, purge.Purge.ToString(), dropped);
                        Volatile.Write(ref _applied, purge.Sequence);
                    }
                }

                Connected = true;
                LastError = null;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Connected = false;
                LastError = $"{e.GetType().Name}: {e.Message}";
                LogPollFailed(logger, LastError);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Cache purge {Sequence} applied: {Purge}; {Dropped} responses dropped from memory")]
    private static partial void LogApplied(ILogger logger, long sequence, string purge, int dropped);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cache purge log restarted or out of reach: {Dropped} responses dropped from memory")]
    private static partial void LogReset(ILogger logger, int dropped);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cache purge poll failed ({Error}); retrying in 1 s")]
    private static partial void LogPollFailed(ILogger logger, string error);
}
