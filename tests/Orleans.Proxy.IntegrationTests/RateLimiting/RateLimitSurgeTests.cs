using System.Net;
using Orleans.Proxy.IntegrationTests.Infrastructure;

using Orleans.Proxy.Testing;

namespace Orleans.Proxy.IntegrationTests.RateLimiting;

/// <summary>A limit far above the load never refuses, even when the load jumps suddenly.</summary>
[Collection(RateLimitPrecisionCollection.Name)]
public sealed class RateLimitSurgeTests
{
    [Fact]
    public async Task LimitNeverReached_LoadJumpsTenfold_NoRequestRefused()
    {
        await using var web = await TestBackend.StartAsync("web");
        using var routes = new TempDirectory();
        routes.Write("all.yaml", Manifests.ServiceFor("web", web) + "---\n" + Manifests.IngressWithAnnotations("roomy", "roomy.test",
            new Dictionary<string, string> { ["orleans-proxy.io/rate-limit-rps"] = "100000" },
            ("/", "Prefix", "web")));
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path);
        await edge.WaitForBackendAsync("roomy.test", "/", "web");
        var refused = 0;

        // A slow, steady client long enough for the edge's lease to be sized by its rate (bounded: 300 requests).
        for (var i = 0; i < 300; i++)
        {
            if ((await edge.GetAsync("roomy.test", "/slow")).StatusCode == HttpStatusCode.TooManyRequests)
            {
                refused++;
            }

            await Task.Delay(10);
        }

        // Then a jump: 32 concurrent loops, 4,000 requests in all, far below 100,000/s.
        await Task.WhenAll(Enumerable.Range(0, 32).Select(async _ =>
        {
            for (var i = 0; i < 125; i++)
            {
                if ((await edge.GetAsync("roomy.test", "/fast")).StatusCode == HttpStatusCode.TooManyRequests)
                {
                    Interlocked.Increment(ref refused);
                }
            }
        }));

        Assert.Equal(0, refused);
    }
}
