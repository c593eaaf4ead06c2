using System.Collections.Immutable;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;

namespace Orleans.Proxy.Caching;

/// <summary>
/// The purge log, in memory: purges go to every shard first, then to the edges, which long-poll it.
/// A lost log changes <see cref="PurgeLog.Epoch"/>, and each edge then drops its whole memory tier
/// (it cannot know what it missed). Reentrant: waiting edges do not hold it up. A silo that is
/// stopping answers its waiting edges at once: a silo waits for the requests its grains are running
/// before it leaves, and a long-poll would hold its shutdown for the whole wait.
/// </summary>
[Reentrant]
internal sealed partial class CachePurgeGrain(TimeProvider time, IHostApplicationLifetime lifetime, ILogger<CachePurgeGrain> logger) : Grain, ICachePurgeGrain
{
    private const int LogLength = 1024;
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan MaxEdgeWait = TimeSpan.FromSeconds(10);

    /// <summary>An edge that has not polled for this long is not waited for.</summary>
    private static readonly TimeSpan LiveWindow = TimeSpan.FromSeconds(60);

    private readonly long _epoch = time.GetUtcNow().UtcTicks;
    private readonly List<LoggedPurge> _log = [];
    private readonly Dictionary<string, (long Applied, DateTimeOffset LastSeen)> _edges = new(StringComparer.Ordinal);
    private TaskCompletionSource _purged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _acknowledged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _sequence;

    public async Task<PurgeResult> Purge(CachePurge purge, TimeSpan waitForEdges)
    {
        var dropped = await Task.WhenAll(CacheShards.All.Select(s => GrainFactory.GetGrain<ICacheShardGrain>(s).Purge(purge)));
        var sequence = ++_sequence;
        _log.Add(new LoggedPurge(sequence, purge));
        if (_log.Count > LogLength)
        {
            _log.RemoveRange(0, _log.Count - LogLength);
        }

        Signal(ref _purged);
        LogPurged(logger, purge.ToString(), sequence, dropped.Sum());

        var now = time.GetUtcNow();
        var deadline = now + (waitForEdges < MaxEdgeWait ? waitForEdges : MaxEdgeWait);
        var live = _edges.Where(e => e.Value.LastSeen > now - LiveWindow).Select(e => e.Key).ToList();
        List<string> Pending() => [.. live.Where(e => _edges[e].Applied < sequence)];
        while (Pending().Count > 0 && time.GetUtcNow() < deadline)
        {
            try
            {
                await _acknowledged.Task.WaitAsync(deadline - time.GetUtcNow(), time);
            }
            catch (TimeoutException)
            {
                break;
            }
        }

        var pending = Pending();
        return new PurgeResult(sequence, dropped.Sum(), [.. live.Except(pending).Order(StringComparer.Ordinal)], [.. pending.Order(StringComparer.Ordinal)]);
    }

    public async Task<PurgeLog> WaitForPurges(string edgeId, long epoch, long after, TimeSpan maxWait)
    {
        _edges[edgeId] = (epoch == _epoch ? after : -1, time.GetUtcNow());
        Signal(ref _acknowledged);
        if (epoch != _epoch || after > _sequence)
        {
            return new PurgeLog(_epoch, _sequence, [], Truncated: true);
        }

        if (after == _sequence)
        {
            try
            {
                await _purged.Task.WaitAsync(maxWait < MaxWait ? maxWait : MaxWait, time, lifetime.ApplicationStopping);
            }
            catch (TimeoutException)
            {
                return new PurgeLog(_epoch, _sequence, [], Truncated: false);
            }
            catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
            {
                // The next poll activates the log on a silo that stays (the epoch changes: edges drop their memory tier).
                DeactivateOnIdle();
                return new PurgeLog(_epoch, _sequence, [], Truncated: false);
            }
        }

        var since = _log.Where(p => p.Sequence > after).ToImmutableArray();
        var truncated = since.Length == 0 ? after < _sequence : since[0].Sequence > after + 1;
        return new PurgeLog(_epoch, _sequence, truncated ? [] : since, truncated);
    }

    private static void Signal(ref TaskCompletionSource signal)
    {
        var fired = signal;
        signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        fired.TrySetResult();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Cache purge {Sequence}: {Purge}; the shared tier dropped {Dropped} responses")]
    private static partial void LogPurged(ILogger logger, string purge, long sequence, int dropped);
}
