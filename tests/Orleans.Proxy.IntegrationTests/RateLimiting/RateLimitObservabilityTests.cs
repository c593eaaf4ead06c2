using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Proxy.Edge.AccessLog;
using Orleans.Proxy.IntegrationTests.Infrastructure;
using Orleans.Proxy.IntegrationTests.Operations;

using Orleans.Proxy.Testing;

namespace Orleans.Proxy.IntegrationTests.RateLimiting;

/// <summary>Rate-limit decisions show in /metrics and in the access log line of each request.</summary>
[Collection(MetricsCollection.Name)]
public sealed class RateLimitObservabilityTests
{
    [Fact]
    public async Task RateLimitDecisions_KnownTraffic_CountedInMetricsAndNamedInAccessLog()
    {
        await using var web = await TestBackend.StartAsync("web");
        using var routes = new TempDirectory();
        routes.Write("all.yaml", Manifests.ServiceFor("web", web) + "---\n" + Manifests.IngressWithAnnotations("limited", "limited.test",
            new Dictionary<string, string> { ["orleans-proxy.io/rate-limit-rpm"] = "2", ["orleans-proxy.io/rate-limit-burst"] = "2" },
            ("/", "Prefix", "web")));
        var output = new AccessLogTests.CapturingWriter();
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path, configureServices: s => s.AddSingleton(TestAccessLog.Output(output)));
        await Eventually.Until(async () => (await edge.GetAsync("limited.test", "/first")).StatusCode == HttpStatusCode.OK, "the limited route serves");

        // Two tokens a minute, burst two: the first was used above, one more passes, the rest are refused.
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            statuses.Add((await edge.GetAsync("limited.test", $"/r{i}")).StatusCode);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
        const string policy = "test/limited/rate-limit";
        await Eventually.Until(async () =>
        {
            var scrape = await edge.Diagnostics.GetStringAsync("/metrics");
            return PrometheusText.Value(scrape, "orleans_proxy_ratelimit_requests_total", ("policy", policy), ("decision", "rejected")) == 3
                && PrometheusText.Value(scrape, "orleans_proxy_ratelimit_requests_total", ("policy", policy), ("decision", "admitted")) >= 2;
        }, "the decisions are counted per policy");

        var refused = await output.WaitForLineAsync(l => l.GetProperty("path").GetString() == "/r1");
        Assert.Equal("rejected", refused.GetProperty("rateLimit").GetString());
        var admitted = await output.WaitForLineAsync(l => l.GetProperty("path").GetString() == "/r0");
        Assert.Equal("admitted", admitted.GetProperty("rateLimit").GetString());
    }
}
