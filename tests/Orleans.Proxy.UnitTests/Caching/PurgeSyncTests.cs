using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orleans.Proxy.Caching;
using Orleans.Proxy.Edge.Caching;
using Orleans.Proxy.Edge.Hosting;
using Orleans.Proxy.UnitTests.Fakes;
using Orleans.Proxy.UnitTests.RateLimiting;

namespace Orleans.Proxy.UnitTests.Caching;

public sealed class PurgeSyncTests
{
    /// <summary>A silo shutting down reactivates the purge log on each call, so every answer is a new log: the edge must not spin on it.</summary>
    [Fact]
    public async Task ExecuteAsync_LogRestartsOnEveryCall_PollsAgainOnlyAfterAPause()
    {
        var time = new FakeTimeProvider();
        var log = new RestartingLog();
        var options = Options.Create(new CachingOptions());
        var sync = new PurgeSync(new FakeGrainFactory(_ => log), new EdgeCache(options, TestMeters.Instance),
            new EdgeIdentity(Options.Create(new EdgeOptions { Id = "edge-under-test" })), options, time, NullLogger<PurgeSync>.Instance);

        await sync.StartAsync(CancellationToken.None);
        try
        {
            // The first answer is the log's first sight, the second its restart: then the edge waits a second on its clock.
            await WaitForCallsAsync(log, 2);
            await Task.Delay(200);
            Assert.Equal(2, log.Calls);

            time.Advance(TimeSpan.FromSeconds(1));
            await WaitForCallsAsync(log, 3);
            await Task.Delay(200);
            Assert.Equal(3, log.Calls);
        }
        finally
        {
            await sync.StopAsync(CancellationToken.None);
        }
    }

    private static async Task WaitForCallsAsync(RestartingLog log, int calls)
    {
        for (var i = 0; i < 500 && log.Calls < calls; i++)
        {
            await Task.Delay(10);
        }
    }

    private sealed class RestartingLog : ICachePurgeGrain
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public Task<PurgeLog> WaitForPurges(string edgeId, long epoch, long after, TimeSpan maxWait) =>
            Task.FromResult(new PurgeLog(Interlocked.Increment(ref _calls), 0, [], Truncated: false));

        public Task<PurgeResult> Purge(CachePurge purge, TimeSpan waitForEdges) => throw new NotSupportedException();
    }
}
