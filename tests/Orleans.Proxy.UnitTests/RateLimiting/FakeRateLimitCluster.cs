using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orleans.Proxy.Diagnostics;
using Orleans.Proxy.Edge.Hosting;
using Orleans.Proxy.Edge.RateLimiting;
using Orleans.Proxy.RateLimiting;

namespace Orleans.Proxy.UnitTests.RateLimiting;

/// <summary>
/// The rate-limit grains without Orleans: one <see cref="LeaseBucket"/> per key on a fake clock.
/// Calls are answered after <see cref="Latency"/> of fake time (at once when zero), or fail while
/// <see cref="Down"/>; <see cref="Deliver"/> hands out the answers that are due. <see cref="Crash"/>
/// loses every bucket, as a silo crash does, and fails the calls in flight.
/// </summary>
internal sealed class FakeRateLimitCluster(FakeTimeProvider time)
{
    private readonly Dictionary<string, LeaseBucket> _buckets = new(StringComparer.Ordinal);
    private readonly List<(DateTimeOffset Due, long Order, Action Answer)> _pending = [];
    private long _order;
    private int _crashes;

    public TimeSpan Latency { get; set; }

    public bool Down { get; set; }

    /// <summary>A call that takes this long fails, as Orleans' response timeout does.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(2);

    public int LeaseCalls { get; private set; }

    public int SettleCalls { get; private set; }

    public int Pending => _pending.Count;

    public List<LeaseRequest> Requests { get; } = [];

    public LeaseBucket Bucket(string key) => _buckets.TryGetValue(key, out var bucket) ? bucket : _buckets[key] = new LeaseBucket(time.GetUtcNow());

    /// <summary>The silo holding the buckets dies: they come back new (full) on the next call, and calls in flight fail.</summary>
    public void Crash()
    {
        _buckets.Clear();
        _crashes++;
    }

    public IRateLimitLeaseSource SourceFor() => new Source(this);

    /// <summary>An edge's shared limiter state, talking to this cluster.</summary>
    public RateLimitLeases Edge(string edgeId, TimeSpan? leaseLength = null) => new(
        SourceFor(),
        new EdgeIdentity(Options.Create(new EdgeOptions { Id = edgeId })),
        Options.Create(new RateLimitingOptions { LeaseLength = leaseLength ?? TimeSpan.FromSeconds(1) }),
        time,
        TestMeters.Instance,
        new ProxyMetrics(TestMeters.Instance),
        NullLogger<RateLimitLeases>.Instance);

    /// <summary>Answers every call that is due by now (and those their answers caused).</summary>
    public void Deliver()
    {
        while (true)
        {
            var now = time.GetUtcNow();
            var due = _pending.Where(p => p.Due <= now).OrderBy(p => p.Due).ThenBy(p => p.Order).FirstOrDefault();
            if (due.Answer is null)
            {
                return;
            }

            _pending.Remove(due);
            due.Answer();
        }
    }

    /// <summary>Moves the clock on in steps, answering calls as they fall due.</summary>
    public void Advance(TimeSpan by, TimeSpan? step = null)
    {
        var end = time.GetUtcNow() + by;
        var increment = step ?? TimeSpan.FromMilliseconds(1);
        while (time.GetUtcNow() < end)
        {
            time.Advance(increment);
            Deliver();
        }
    }

    private Task<T> Call<T>(Func<DateTimeOffset, T> handle)
    {
        if (Down)
        {
            return Task.FromException<T>(new TimeoutException("the cluster is down"));
        }

        if (Latency == TimeSpan.Zero)
        {
            return Task.FromResult(handle(time.GetUtcNow()));
        }

        var reply = new TaskCompletionSource<T>();
        var timesOut = Latency >= Timeout;
        var crashes = _crashes;
        _pending.Add((time.GetUtcNow() + (timesOut ? Timeout : Latency), _order++, () =>
        {
            if (timesOut || crashes != _crashes)
            {
                reply.SetException(new TimeoutException("no answer within the response timeout"));
            }
            else
            {
                reply.SetResult(handle(time.GetUtcNow()));
            }
        }));
        return reply.Task;
    }

    private sealed class Source(FakeRateLimitCluster cluster) : IRateLimitLeaseSource
    {
        public Task<LeaseGrant> AcquireLease(string grainKey, LeaseRequest request)
        {
            cluster.LeaseCalls++;
            cluster.Requests.Add(request);
            return cluster.Call(now => cluster.Bucket(grainKey).Grant(request, now));
        }

        public Task Settle(string grainKey, LeaseRequest request)
        {
            cluster.SettleCalls++;
            cluster.Requests.Add(request);
            return cluster.Call(now =>
            {
                cluster.Bucket(grainKey).Settle(request, now);
                return true;
            });
        }
    }
}

internal sealed class TestMeters : IMeterFactory
{
    public static readonly TestMeters Instance = new();

    public Meter Create(MeterOptions options) => new(options);

    public void Dispose()
    {
    }
}
