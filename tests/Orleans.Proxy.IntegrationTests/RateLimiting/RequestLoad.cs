using System.Diagnostics;
using System.Net;
using System.Threading.RateLimiting;
using Orleans.Proxy.IntegrationTests.Infrastructure;

namespace Orleans.Proxy.IntegrationTests.RateLimiting;

/// <summary>
/// Closed-loop load on loopback: a few workers per edge, each sending the next request when the
/// last is answered, for a bounded time. Counts answers per edge and, beside them, what a
/// per-replica token bucket with the same policy would have admitted for the same requests.
/// </summary>
internal sealed class RequestLoad
{
    private readonly int[] _admitted;
    private readonly int[] _rejected;
    private readonly int[] _perReplicaAdmitted;
    private int _other;

    private RequestLoad(int edges)
    {
        _admitted = new int[edges];
        _rejected = new int[edges];
        _perReplicaAdmitted = new int[edges];
    }

    public int Admitted => Sum(_admitted);

    public int Rejected => Sum(_rejected);

    public IReadOnlyList<int> AdmittedPerEdge => [.. _admitted];

    /// <summary>What replicas limiting on their own (ingress-nginx, YARP) would have admitted.</summary>
    public int PerReplicaAdmitted => Sum(_perReplicaAdmitted);

    /// <summary>Answers other than 200 and 429 (should stay 0).</summary>
    public int Other => Volatile.Read(ref _other);

    /// <summary>From just before the first request to just after the last answer: an outer bound of the window.</summary>
    public TimeSpan Elapsed { get; private set; }

    public Task Completion { get; private set; } = Task.CompletedTask;

    public static RequestLoad Start(IReadOnlyList<TestEdge> edges, int[] workersPerEdge, string host, TimeSpan duration, int permitsPerSecond, int burst)
    {
        var load = new RequestLoad(edges.Count);
        var stopwatch = Stopwatch.StartNew();
        var workers = new List<Task>();
        for (var e = 0; e < edges.Count; e++)
        {
            var edge = edges[e];
            var index = e;
            var perReplica = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = Math.Max(1, burst),
                TokensPerPeriod = Math.Max(1, permitsPerSecond / 10),
                ReplenishmentPeriod = TimeSpan.FromMilliseconds(100),
                AutoReplenishment = true,
                QueueLimit = 0,
            });
            for (var w = 0; w < workersPerEdge[e]; w++)
            {
                workers.Add(Task.Run(async () =>
                {
                    while (stopwatch.Elapsed < duration)
                    {
                        using var response = await edge.GetAsync(host, "/");
                        using (var lease = perReplica.AttemptAcquire())
                        {
                            if (lease.IsAcquired)
                            {
                                Interlocked.Increment(ref load._perReplicaAdmitted[index]);
                            }
                        }

                        switch (response.StatusCode)
                        {
                            case HttpStatusCode.OK:
                                Interlocked.Increment(ref load._admitted[index]);
                                break;
                            case HttpStatusCode.TooManyRequests:
                                Interlocked.Increment(ref load._rejected[index]);
                                break;
                            default:
                                Interlocked.Increment(ref load._other);
                                break;
                        }
                    }
                }));
            }
        }

        load.Completion = load.FinishAsync(workers, stopwatch);
        return load;
    }

    private static int Sum(int[] counts) => counts.Sum(c => Volatile.Read(ref c));

    private async Task FinishAsync(List<Task> workers, Stopwatch stopwatch)
    {
        await Task.WhenAll(workers);
        Elapsed = stopwatch.Elapsed;
    }
}
