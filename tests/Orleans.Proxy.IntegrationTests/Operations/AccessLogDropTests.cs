using Microsoft.Extensions.DependencyInjection;
using Orleans.Proxy.Edge.AccessLog;
using Orleans.Proxy.IntegrationTests.Infrastructure;
using static Orleans.Proxy.IntegrationTests.Operations.AccessLogTests;

using Orleans.Proxy.Testing;

namespace Orleans.Proxy.IntegrationTests.Operations;

/// <summary>The access log never holds a request back: a stalled writer costs lines, counted, not latency.</summary>
[Collection(MetricsCollection.Name)]
public sealed class AccessLogDropTests
{
    [Fact]
    public async Task AccessLog_WriterStalled_RequestsStillServedAndDropsCounted()
    {
        await using var web = await TestBackend.StartAsync("web");
        using var routes = new TempDirectory();
        routes.Write("all.yaml", Manifests.ServiceFor("web", web) + "---\n" + Manifests.Ingress("web", "stall.test", ("/", "Prefix", "web")));
        var output = new CapturingWriter();
        var edge = await TestEdge.StartEmbeddedAsync(routes.Path, new Dictionary<string, string?> { ["AccessLog:QueueCapacity"] = "16" },
            s => s.AddSingleton(TestAccessLog.Output(output)));
        double dropped;
        await using (edge)
        {
            await edge.WaitForBackendAsync("stall.test", "/", "web");
            await output.WaitForLineAsync(l => l.GetProperty("status").GetInt32() == 200);
            Assert.Null(PrometheusText.Value(await edge.Diagnostics.GetStringAsync("/metrics"), "orleans_proxy_access_log_dropped_total", ("edge", edge.Id)));

            output.Stall();
            for (var i = 0; i < 60; i++)
            {
                Assert.StartsWith("200 web ", await edge.GetBodyAsync("stall.test", "/stalled"));
            }

            dropped = PrometheusText.Value(await edge.Diagnostics.GetStringAsync("/metrics"), "orleans_proxy_access_log_dropped_total", ("edge", edge.Id)) ?? 0;
            Assert.True(dropped > 0, "a full queue drops lines");
            output.Resume();
        }

        Assert.Equal(60, output.Lines().Count(l => l.GetProperty("path").GetString() == "/stalled") + dropped);
    }
}
