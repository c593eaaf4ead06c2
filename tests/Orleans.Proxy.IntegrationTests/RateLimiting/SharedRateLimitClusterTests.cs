using System.Net;
using System.Text.Json;
using Xunit.Abstractions;
using Orleans.Proxy.RateLimiting;
using Orleans.Proxy.Translation.Annotations;
using Orleans.Proxy.Translation.Ingress;
using Orleans.Proxy.Silo.Publishing;
using Orleans.Proxy.IntegrationTests.Infrastructure;

using Orleans.Proxy.Testing;

namespace Orleans.Proxy.IntegrationTests.RateLimiting;

/// <summary>
/// Real edges on one TestingHost cluster (they share its client, as separate pods share the
/// silos), real Kestrel backends, real HTTP on loopback. Bounds are checked against the bucket's
/// arithmetic with the window measured from outside (longer only loosens an upper bound).
/// </summary>
[Collection(RateLimitPrecisionCollection.Name)]
public sealed class SharedRateLimitClusterTests(ITestOutputHelper output)
{
    private const string Limited = "limited.test";
    private const string Ready = "ready.test";

    private static async Task<List<TestEdge>> StartAsync(ProxyTestCluster cluster, TestBackend web, int edges, Dictionary<string, string> annotations, IDictionary<string, string?>? settings = null)
    {
        var started = new List<TestEdge>();
        for (var i = 0; i < edges; i++)
        {
            started.Add(await cluster.StartEdgeAsync(settings));
        }

        // An unlimited host to wait on, so waiting spends no tokens; both arrive in one generation.
        await cluster.PublishAsync(Manifests.ServiceFor("web", web) + "---\n"
            + Manifests.IngressWithAnnotations("limited", Limited, annotations, ("/", "Prefix", "web")) + "---\n"
            + Manifests.Ingress("ready", Ready, ("/", "Prefix", "web")));
        foreach (var edge in started)
        {
            await edge.WaitForBackendAsync(Ready, "/", "web");
        }

        return started;
    }

    /// <summary>The bucket grain of the limited Ingress's policy (the policy's settings are part of its key).</summary>
    private static IRateLimitGrain Bucket(ProxyTestCluster cluster, string partition, int permits, int burst, RateLimitPeriod period = RateLimitPeriod.Second) =>
        cluster.Client.GetGrain<IRateLimitGrain>(IRateLimitGrain.Key(new RateLimitSpec("test/limited/rate-limit", permits, period, burst, RateLimitKeyKind.ClientIp, null, []), partition));

    private static async Task<RateLimitState> BucketAsync(ProxyTestCluster cluster, string partition, int permits, int burst, RateLimitPeriod period = RateLimitPeriod.Second) =>
        await Bucket(cluster, partition, permits, burst, period).GetState();

    private static async Task<(long FallbackAdmitted, long RequestPathCalls, long Unsettled)> EdgeCountersAsync(IEnumerable<TestEdge> edges)
    {
        long fallback = 0, requestPath = 0, unsettled = 0;
        foreach (var edge in edges)
        {
            var diag = await edge.DiagAsync("/diag/ratelimits");
            fallback += diag.GetProperty("fallbackAdmitted").GetInt64();
            requestPath += diag.GetProperty("requestPathGrainCalls").GetInt64();
            unsettled += diag.GetProperty("unsettled").GetInt64();
        }

        return (fallback, requestPath, unsettled);
    }

    [Fact]
    public async Task FourEdges_UnevenLoadAboveLimit_AdmitOneLimitNotFour()
    {
        const int rate = 50, burst = 25;
        await using var web = await TestBackend.StartAsync("web");
        await using var cluster = await ProxyTestCluster.StartAsync(silos: 1);
        var edges = await StartAsync(cluster, web, 4, new() { [AnnotationTable.RateLimitRps.Name] = $"{rate}", [AnnotationTable.RateLimitBurst.Name] = $"{burst}" });

        var load = RequestLoad.Start(edges, [4, 1, 1, 1], Limited, TimeSpan.FromSeconds(6), rate, burst);
        await load.Completion;

        var limit = rate * load.Elapsed.TotalSeconds;
        var (fallbackAdmitted, requestPathCalls, unsettled) = await EdgeCountersAsync(edges);
        var bucket = await BucketAsync(cluster, "127.0.0.1", rate, burst);
        var perEdge = new List<string>();
        foreach (var edge in edges)
        {
            var d = await edge.DiagAsync("/diag/ratelimits");
            perEdge.Add($"{d.GetProperty("edgeId")}: lease {d.GetProperty("leaseAdmitted")} local {d.GetProperty("localAdmitted")} unsettled {d.GetProperty("unsettled")} fallback {d.GetProperty("fallbackAdmitted")}");
        }

        var report = $"[{string.Join("; ", perEdge)}] [{string.Join("; ", bucket.Edges.Select(e => $"{e.EdgeId} granted {e.Granted} owed {e.Owed}"))}] admitted {load.Admitted} (per edge {string.Join(", ", load.AdmittedPerEdge)}), rejected {load.Rejected}, limit {limit:F0} over {load.Elapsed.TotalSeconds:F2}s, " +
            $"per-replica would admit {load.PerReplicaAdmitted}, granted {bucket.TotalGranted} returned {bucket.TotalReturned} owed {bucket.TotalOwed} left {bucket.TokensLeft:F1}, fallback admitted {fallbackAdmitted}";
        output.WriteLine(report);
        Assert.Equal(0, load.Other);
        // Demand was above the limit...
        Assert.True(load.Admitted + load.Rejected > 2 * limit, report);
        // ...and every edge's demand alone was above it, so limiting per replica admits about 4 x (limit + burst).
        Assert.True(load.PerReplicaAdmitted >= 3 * limit, report);

        // One limit across the four: never above limit + burst, and at least 90% of the limit.
        Assert.True(load.Admitted <= limit + burst, report);
        Assert.True(load.Admitted >= 0.9 * rate * TimeSpan.FromSeconds(6).TotalSeconds, report);
        Assert.True(load.Admitted < load.PerReplicaAdmitted / 2, report);

        // The bucket's own arithmetic: what it debited (granted net of returns, plus the requests
        // edges admitted on their allowance or credit and reported) and what edges still owe cover
        // every admission but the fallback's...
        var net = bucket.TotalGranted - bucket.TotalReturned + bucket.TotalOwed;
        Assert.True(load.Admitted - fallbackAdmitted <= net + unsettled, report);
        Assert.Equal(4, bucket.Edges.Length);
        // ...and once the refill has repaid what edges owed (a debt may take the bucket below zero for
        // a moment), it never exceeds its capacity plus its refill since activation.
        await Eventually.Until(async () => (await BucketAsync(cluster, "127.0.0.1", rate, burst)).TokensLeft >= 0, "the bucket's debts are repaid");
        bucket = await BucketAsync(cluster, "127.0.0.1", rate, burst);
        net = bucket.TotalGranted - bucket.TotalReturned + bucket.TotalOwed;
        Assert.True(net <= burst + (rate * (DateTimeOffset.UtcNow - bucket.ActivatedAt).TotalSeconds), report);

        // Hot path: no request waited for a grain call, the first of each edge included.
        Assert.Equal(0, requestPathCalls);
    }

    [Fact]
    public async Task KillSilo_HoldingBucketUnderLoad_LimitingContinuesWithinDocumentedBound()
    {
        const int rate = 50, burst = 25;
        await using var web = await TestBackend.StartAsync("web");
        await using var cluster = await ProxyTestCluster.StartAsync(silos: 2);
        var edges = await StartAsync(cluster, web, 2, new() { [AnnotationTable.RateLimitRps.Name] = $"{rate}", [AnnotationTable.RateLimitBurst.Name] = $"{burst}" });

        var load = RequestLoad.Start(edges, [2, 1], Limited, TimeSpan.FromSeconds(7), rate, burst);
        var grain = Bucket(cluster, "127.0.0.1", rate, burst);
        // The steady state: both edges lease from the bucket and the limit refuses some requests.
        await Eventually.Until(async () => load.Rejected > 0 && (await grain.GetState()).Edges.Length == 2, "both edges lease from the bucket under load above the limit");
        var victim = await cluster.SiloHostingAsync(grain);
        var (admittedAtKill, rejectedAtKill) = (load.Admitted, load.Rejected);
        await cluster.Cluster.KillSiloAsync(victim);
        await load.Completion;

        var report = $"admitted {load.Admitted} ({admittedAtKill} before the kill), rejected {load.Rejected} ({rejectedAtKill} before), over {load.Elapsed.TotalSeconds:F2}s";
        Assert.Equal(0, load.Other);
        // Still serving and still limiting after the crash: never fail open, never stop.
        Assert.True(load.Admitted > admittedAtKill, report);
        Assert.True(load.Rejected > rejectedAtKill, report);
        // The README's bound for a window with one silo crash: limit + 2 x burst (the bucket is lost
        // once and comes back full), plus the rate over the one lease call in flight when an edge
        // leaves its fallback (at most AcquireLease's 2 s response timeout).
        Assert.True(load.Admitted <= (rate * load.Elapsed.TotalSeconds) + (2 * burst) + (rate * 2), report);
        // The bucket lives again on the surviving silo.
        Assert.True((await grain.GetState()).Active, report);
    }

    [Fact]
    public async Task SilosUnreachable_EdgesFallBackToTheirShareAndSaySo()
    {
        const int rate = 40, burst = 20;
        await using var web = await TestBackend.StartAsync("web");
        await using var cluster = await ProxyTestCluster.StartAsync(silos: 1);
        var edges = await StartAsync(cluster, web, 2, new() { [AnnotationTable.RateLimitRps.Name] = $"{rate}", [AnnotationTable.RateLimitBurst.Name] = $"{burst}" });
        // Both edges lease from the bucket, so each learns that two edges share it.
        await RequestLoad.Start(edges, [1, 1], Limited, TimeSpan.FromSeconds(1.5), rate, burst).Completion;

        await cluster.Cluster.KillSiloAsync(cluster.Cluster.Silos.Single());
        var load = RequestLoad.Start(edges, [2, 1], Limited, TimeSpan.FromSeconds(4), rate, burst);
        await load.Completion;

        var report = $"admitted {load.Admitted}, rejected {load.Rejected} over {load.Elapsed.TotalSeconds:F2}s";
        Assert.Equal(0, load.Other);
        Assert.True(load.Admitted > 0, report);
        Assert.True(load.Rejected > load.Admitted, report);
        // Each edge's local bucket is limit / 2 with no burst of its own (its lease tokens were the
        // burst); the leases still held when the silo died add at most one burst.
        Assert.True(load.Admitted <= (rate * load.Elapsed.TotalSeconds) + burst, report);
        foreach (var edge in edges)
        {
            var diag = await edge.DiagAsync("/diag/ratelimits");
            Assert.True(diag.GetProperty("degraded").GetBoolean(), diag.GetRawText());
            Assert.Equal(2, diag.GetProperty("knownEdges").GetInt32());
            Assert.Contains("test/limited/rate-limit#40/s/20|127.0.0.1", diag.GetProperty("fallback").EnumerateArray().Select(e => e.GetString()));
        }
    }

    [Fact]
    public async Task XForwardedFor_FromClient_DoesNotEvadeLimit_FromTrustedProxy_NamesTheClient()
    {
        await using var web = await TestBackend.StartAsync("web");
        await using var cluster = await ProxyTestCluster.StartAsync(silos: 1);
        var annotations = new Dictionary<string, string> { [AnnotationTable.RateLimitRpm.Name] = "60", [AnnotationTable.RateLimitBurst.Name] = "3" };
        var direct = (await StartAsync(cluster, web, 1, annotations)).Single();
        var behindProxy = await cluster.StartEdgeAsync(new Dictionary<string, string?> { ["RateLimiting:TrustedProxies:0"] = "127.0.0.1/32" });
        await behindProxy.WaitForBackendAsync(Ready, "/", "web");

        // A client talking to the edge directly writes a new X-Forwarded-For each time: one bucket all the same.
        var spoofed = new List<HttpStatusCode>();
        HttpResponseMessage? rejection = null;
        for (var i = 0; i < 10; i++)
        {
            var response = await direct.GetAsync(Limited, "/", ("X-Forwarded-For", $"198.51.100.{i}"));
            spoofed.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                rejection ??= response;
            }
        }

        Assert.True(spoofed.Count(s => s == HttpStatusCode.TooManyRequests) >= 5, string.Join(", ", spoofed));
        // The socket address was the key (the edge reports to its bucket in the background); the
        // addresses the client wrote made no bucket.
        await Eventually.Until(async () => (await BucketAsync(cluster, "127.0.0.1", 60, 3, RateLimitPeriod.Minute)).Edges.Length > 0, "the edge reported to the socket address's bucket");
        Assert.Single((await BucketAsync(cluster, "127.0.0.1", 60, 3, RateLimitPeriod.Minute)).Edges);
        Assert.False((await BucketAsync(cluster, "198.51.100.3", 60, 3, RateLimitPeriod.Minute)).Active);

        // The 429 says when to come back and which policy refused, in the IETF fields.
        Assert.NotNull(rejection);
        Assert.True(int.Parse(rejection.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) >= 1);
        Assert.Equal("\"test/limited/rate-limit\";q=60;w=60", rejection.Headers.GetValues("RateLimit-Policy").Single());
        Assert.StartsWith("\"test/limited/rate-limit\";r=0;t=", rejection.Headers.GetValues("RateLimit").Single(), StringComparison.Ordinal);

        // Behind a trusted proxy the header names the client: ten clients, ten buckets, all admitted...
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await behindProxy.GetAsync(Limited, "/", ("X-Forwarded-For", $"198.51.100.{i}"))).StatusCode);
        }

        // ...and one client is limited, whatever it prepends to the header itself.
        var one = new List<HttpStatusCode>();
        for (var i = 0; i < 10; i++)
        {
            one.Add((await behindProxy.GetAsync(Limited, "/", ("X-Forwarded-For", $"203.0.113.{i}, 198.51.100.77"))).StatusCode);
        }

        Assert.True(one.Count(s => s == HttpStatusCode.TooManyRequests) >= 5, string.Join(", ", one));
        await Eventually.Until(async () => (await BucketAsync(cluster, "198.51.100.77", 60, 3, RateLimitPeriod.Minute)).Active, "the forwarded client's bucket is in use");
    }

    [Fact]
    public async Task NginxAnnotations_RpsAndRpm_BothApplyAndTheRefusingOneIsNamed()
    {
        await using var web = await TestBackend.StartAsync("web");
        await using var cluster = await ProxyTestCluster.StartAsync(silos: 1);
        // limit-rpm 3 x multiplier 1 = 3 requests, then one every 20 s; limit-rps 100 x 1 never refuses here.
        var edge = (await StartAsync(cluster, web, 1, new()
        {
            [AnnotationTable.NginxLimitRps.Name] = "100",
            [AnnotationTable.NginxLimitRpm.Name] = "3",
            [AnnotationTable.NginxLimitBurstMultiplier.Name] = "1",
        })).Single();

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? rejection = null;
        for (var i = 0; i < 8; i++)
        {
            var response = await edge.GetAsync(Limited, "/");
            statuses.Add(response.StatusCode);
            rejection ??= response.StatusCode == HttpStatusCode.TooManyRequests ? response : null;
        }

        var state = (await edge.DiagAsync("/diag/ratelimits")).GetRawText() + (await edge.DiagAsync("/diag/ratelimits/test/limited/nginx-rpm/127.0.0.1")).GetRawText();
        Assert.True(statuses.Count(s => s == HttpStatusCode.OK) is >= 3 and <= 4, string.Join(", ", statuses) + state);
        Assert.NotNull(rejection);
        Assert.Equal("\"test/limited/nginx-rpm\";q=3;w=60", rejection.Headers.GetValues("RateLimit-Policy").Single());
        Assert.True(int.Parse(rejection.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) >= 1);
    }

    [Fact]
    public async Task Whitelist_ClientInRange_NeverLimited()
    {
        await using var web = await TestBackend.StartAsync("web");
        await using var cluster = await ProxyTestCluster.StartAsync(silos: 1);
        var edge = (await StartAsync(cluster, web, 1, new()
        {
            [AnnotationTable.RateLimitRpm.Name] = "1",
            [AnnotationTable.RateLimitBurst.Name] = "1",
            [AnnotationTable.RateLimitWhitelist.Name] = "127.0.0.0/8",
        })).Single();

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await edge.GetAsync(Limited, "/")).StatusCode);
        }

        Assert.Equal(0, (await edge.DiagAsync("/diag/ratelimits")).GetProperty("partitions").GetInt32());
    }

    [Fact]
    public async Task DiagRateLimits_Partition_ShowsTokensAndLeasesPerEdge()
    {
        await using var web = await TestBackend.StartAsync("web");
        await using var cluster = await ProxyTestCluster.StartAsync(silos: 1);
        var edges = await StartAsync(cluster, web, 2, new() { [AnnotationTable.RateLimitRps.Name] = "100", [AnnotationTable.RateLimitKey.Name] = "route" });
        // A route partition's allowance on an edge that knows of no other is half the burst (50); each
        // edge calls the bucket once it has spent half of that, so 25 requests each make one call per edge.
        // (More from the second edge could be refused below the limit while the first edge's lease holds
        // the rest of the burst: docs/rate-limiting.md, "Known limits".)
        foreach (var edge in edges)
        {
            for (var i = 0; i < 25; i++)
            {
                Assert.Equal(HttpStatusCode.OK, (await edge.GetAsync(Limited, "/")).StatusCode);
            }
        }

        // Route ids contain '#', escaped in the path.
        var diag = default(JsonElement);
        await Eventually.Until(async () =>
        {
            diag = await edges[0].DiagAsync("/diag/ratelimits/test/limited/rate-limit/test%2Flimited%230.0");
            return diag.GetProperty("bucket").GetProperty("edges").GetArrayLength() == 2;
        }, "both edges are known to the bucket");

        var bucket = diag.GetProperty("bucket");
        Assert.Equal("test/limited/rate-limit#100/s/100|test/limited#0.0", diag.GetProperty("key").GetString());
        Assert.Equal(100, bucket.GetProperty("capacity").GetInt32());
        Assert.InRange(bucket.GetProperty("tokensLeft").GetDouble(), 0, 100);
        // Each edge's admissions are in the bucket: leased to it, or admitted on its allowance and owed.
        Assert.All(bucket.GetProperty("edges").EnumerateArray(), e => Assert.True(e.GetProperty("granted").GetInt64() + e.GetProperty("owed").GetInt64() >= 25, e.ToString()));
        Assert.False(diag.GetProperty("thisEdge").GetProperty("fallback").GetBoolean());
    }
}
