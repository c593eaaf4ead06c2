using System.Net;
using Orleans.Proxy.IntegrationTests.Infrastructure;

using Orleans.Proxy.Testing;

namespace Orleans.Proxy.IntegrationTests.RateLimiting;

/// <summary>
/// A flood of client keys, each far below its limit: the case the hot-path rule is written for.
/// A new partition decides on its allowance, so no request is refused and none waits on a grain.
/// </summary>
public sealed class RateLimitKeyFloodTests
{
    [Fact]
    public async Task HeaderKeyLimit_TwoThousandDistinctKeys_NoneRefusedAndFarFewerGrainCallsThanRequests()
    {
        const int requests = 2000;
        await using var web = await TestBackend.StartAsync("web");
        using var routes = new TempDirectory();
        routes.Write("all.yaml", Manifests.ServiceFor("web", web) + "---\n" + Manifests.IngressWithAnnotations("keyed", "keyed.test",
            new Dictionary<string, string>
            {
                ["orleans-proxy.io/rate-limit-rps"] = "100",
                ["orleans-proxy.io/rate-limit-key"] = "header:X-Api-Key",
            },
            ("/", "Prefix", "web")) + "---\n" + Manifests.Ingress("ready", "ready.test", ("/", "Prefix", "web")));
        // No poll and no resync during the test, so the grain calls counted are the limiter's.
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path, new Dictionary<string, string?>
        {
            ["Edge:PollInterval"] = "00:10:00",
            ["Routes:ResyncInterval"] = "00:10:00",
        });
        await edge.WaitForBackendAsync("ready.test", "/", "web");
        await edge.WaitForBackendAsync("keyed.test", "/", "web");
        var before = await RateLimitGrainCallsAsync(edge);

        var keys = Enumerable.Range(0, requests).Select(_ => Guid.NewGuid().ToString("N")).ToArray();
        var next = -1;
        var refused = 0;
        var other = 0;
        await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            for (var i = Interlocked.Increment(ref next); i < requests; i = Interlocked.Increment(ref next))
            {
                using var response = await edge.GetAsync("keyed.test", "/", ("X-Api-Key", keys[i]));
                if (response.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    Interlocked.Increment(ref refused);
                }
                else if (response.StatusCode != HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref other);
                }
            }
        }));

        var calls = await RateLimitGrainCallsAsync(edge) - before;
        var diag = await edge.DiagAsync("/diag/ratelimits");
        var report = $"refused {refused}, other {other}, rate-limit grain calls {calls}: {diag.GetRawText()}";
        Assert.Equal(0, other);
        Assert.Equal(0, refused);
        // One partition per key, each decided on its own allowance (100 tokens, one edge): no grain
        // call on the request path, and none in the background either until a key has used half of
        // it or goes idle (it then settles once, after this test).
        Assert.Equal(0, diag.GetProperty("requestPathGrainCalls").GetInt64());
        Assert.True(diag.GetProperty("localAdmitted").GetInt64() >= requests, report);
        Assert.True(calls < requests / 10, report);
    }

    private static async Task<long> RateLimitGrainCallsAsync(TestEdge edge) =>
        (await edge.DiagAsync("/diag/grain-calls")).EnumerateObject().Where(p => p.Name.StartsWith("IRateLimitGrain.", StringComparison.Ordinal)).Sum(p => p.Value.GetInt64());
}
