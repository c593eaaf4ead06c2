using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Proxy.IntegrationTests.Infrastructure;
using Orleans.Proxy.RateLimiting;
using Orleans.Proxy.Testing;
using Orleans.Runtime;

namespace Orleans.Proxy.IntegrationTests.RateLimiting;

/// <summary>
/// A flood of one-off keys leaves nothing behind on the silo once the keys go idle: each bucket grain
/// deactivates when it has refilled, and the silo's grain directory cache drops its location.
/// </summary>
public sealed class RateLimitBucketLifetimeTests
{
    [Fact]
    public async Task BucketGrains_ThousandKeysSettledThenIdle_DeactivateAndLeaveNoDirectoryCacheEntry()
    {
        using var routes = new TempDirectory();
        // A shorter cache lifetime than the default's 20 s, long enough for the entries to be seen on a loaded machine.
        await using var silo = await TestSilo.StartAsync(routes.Path, new Dictionary<string, string?> { ["Cluster:DirectoryCacheTtl"] = "00:00:05" });
        using var cache = new DirectoryCacheSize(silo.App.Services.GetRequiredService<IMeterFactory>());
        var management = silo.Grains.GetGrain<IManagementGrain>(0);
        var before = cache.Read();

        // What an edge sends when a key it admitted once goes idle: one request to debit, nothing to lease.
        var keys = Enumerable.Range(0, 1000).Select(i => $"test/keys/rate-limit#20/s/20|key-{i}").ToList();
        await Task.WhenAll(keys.Select(k => silo.Grains.GetGrain<IRateLimitGrain>(k).Settle(
            new LeaseRequest("edge-1", 20, 20, 0, 0, TimeSpan.FromSeconds(1), Owed: 1, OwedFor: TimeSpan.FromMilliseconds(10)))));
        Assert.True(cache.Read() > before, $"directory cache {cache.Read()} entries, {before} before");

        await Eventually.Until(async () => await BucketGrainsAsync(management) == 0, "every bucket grain deactivated", TimeSpan.FromSeconds(60));
        await Eventually.Until(() => Task.FromResult(cache.Read() <= before), $"the directory cache back to {before} entries", TimeSpan.FromSeconds(60));
    }

    private static async Task<int> BucketGrainsAsync(IManagementGrain management) =>
        (await management.GetSimpleGrainStatistics()).Where(s => s.GrainType.Contains("RateLimitGrain", StringComparison.Ordinal)).Sum(s => s.ActivationCount);

    /// <summary>Orleans' directory cache size gauge, read from this silo's meters only (tests in parallel run silos of their own).</summary>
    private sealed class DirectoryCacheSize : IDisposable
    {
        private readonly MeterListener _listener = new();
        private int _last;

        public DirectoryCacheSize(IMeterFactory silo)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Name == "orleans-directory-cache-size" && ReferenceEquals(instrument.Meter.Scope, silo))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<int>((_, value, _, _) => _last = value);
            _listener.Start();
        }

        public int Read()
        {
            _last = -1;
            _listener.RecordObservableInstruments();
            Assert.True(_last >= 0, "the silo publishes orleans-directory-cache-size");
            return _last;
        }

        public void Dispose() => _listener.Dispose();
    }
}
