using Microsoft.Extensions.DependencyInjection;
using Orleans.Proxy.Diagnostics;
using Orleans.Proxy.IntegrationTests.Infrastructure;

using Orleans.Proxy.Testing;

namespace Orleans.Proxy.IntegrationTests.Operations;

/// <summary>/metrics on the diagnostics port: YARP's, Kestrel's, ASP.NET Core's, Orleans' and our instruments.</summary>
[Collection(MetricsCollection.Name)]
public sealed class MetricsTests
{
    [Fact]
    public async Task Metrics_AfterKnownTraffic_ExposeTheNamedInstrumentsWithTheirValues()
    {
        await using var web = await TestBackend.StartAsync("web");
        using var routes = new TempDirectory();
        routes.Write("services.yaml", Manifests.ServiceFor("web", web));
        routes.Write("ingress.yaml", Manifests.Ingress("web", "metrics.test", ("/", "Prefix", "web")));
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path);
        await edge.WaitForBackendAsync("metrics.test", "/", "web");
        var port = ("server_port", $"{web.Port}");
        var forwardedBefore = PrometheusText.Value(await Scrape(edge), "http_client_request_duration_seconds_count", port) ?? 0;

        for (var i = 0; i < 5; i++)
        {
            Assert.StartsWith("200 web ", await edge.GetBodyAsync("metrics.test", $"/{i}"));
        }

        // The requests YARP forwarded to this destination, from the HttpClient meter of its forwarder.
        var scrape = await Scrape(edge);
        Assert.Equal(forwardedBefore + 5, PrometheusText.Value(scrape, "http_client_request_duration_seconds_count", port));
        Assert.True(PrometheusText.Has(scrape, "http_server_request_duration_seconds_count"));
        // Active requests are yarp_proxy_requests_current's; the up-down counters of ASP.NET Core and HttpClient are not collected.
        Assert.False(PrometheusText.Has(scrape, "http_server_active_requests"));
        Assert.False(PrometheusText.Has(scrape, "http_client_active_requests"));
        Assert.True(PrometheusText.Has(scrape, "kestrel_active_connections"));
        Assert.True(PrometheusText.Has(scrape, "orleans_catalog_activations"));
        // The runtime's meter: GC pauses and the thread pool, for telling a stalled process from a slow backend.
        Assert.True(PrometheusText.Has(scrape, "dotnet_gc_pause_time_seconds_total"));
        Assert.True(PrometheusText.Has(scrape, "dotnet_thread_pool_queue_length_total"));
        await Eventually.Until(async () => PrometheusText.Value(await Scrape(edge), "yarp_proxy_requests_started_total") >= 5, "YARP's counters are published");

        // Config applies: exactly one more after one route change.
        var applied = PrometheusText.Value(scrape, "orleans_proxy_config_applies_total", ("edge", edge.Id))!.Value;
        routes.Write("ingress.yaml", Manifests.Ingress("web", "metrics.test", ("/", "Prefix", "web")) + "---\n" + Manifests.Ingress("more", "more.test", ("/", "Prefix", "web")));
        await edge.WaitForBackendAsync("more.test", "/", "web");
        await Eventually.Until(async () => PrometheusText.Value(await Scrape(edge), "orleans_proxy_config_applies_total", ("edge", edge.Id)) == applied + 1, "one more apply is counted");
    }

    [Fact]
    public async Task ProxyMetrics_EveryInstrument_IsExportedWithItsLabelsAndValues()
    {
        using var routes = new TempDirectory();
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path);
        var metrics = edge.App.Services.GetRequiredService<ProxyMetrics>();
        var policy = $"policy-{Guid.NewGuid():N}";
        var cluster = $"ns/{Guid.NewGuid():N}:80";

        for (var i = 0; i < 3; i++)
        {
            metrics.RateLimitDecision(policy, admitted: true);
        }

        metrics.RateLimitDecision(policy, admitted: false);
        metrics.LeaseRefilled(policy, TimeSpan.FromMilliseconds(20), succeeded: true);
        metrics.LeaseRefilled(policy, TimeSpan.FromMilliseconds(40), succeeded: true);
        metrics.LeaseRefilled(policy, TimeSpan.FromSeconds(1), succeeded: false);
        metrics.HealthVerdictChanged(cluster, "10.0.0.1:80", "unhealthy");
        metrics.RequestPathGrainCall(policy);
        metrics.RequestPathGrainCall(policy);

        var scrape = await Scrape(edge);
        Assert.Equal(3, PrometheusText.Value(scrape, "orleans_proxy_ratelimit_requests_total", ("policy", policy), ("decision", "admitted")));
        Assert.Equal(1, PrometheusText.Value(scrape, "orleans_proxy_ratelimit_requests_total", ("policy", policy), ("decision", "rejected")));
        Assert.Equal(2, PrometheusText.Value(scrape, "orleans_proxy_ratelimit_lease_refill_duration_seconds_count", ("policy", policy), ("outcome", "ok")));
        Assert.Equal(0.06, PrometheusText.Value(scrape, "orleans_proxy_ratelimit_lease_refill_duration_seconds_sum", ("policy", policy), ("outcome", "ok"))!.Value, 6);
        Assert.Equal(1, PrometheusText.Value(scrape, "orleans_proxy_ratelimit_lease_refill_duration_seconds_count", ("policy", policy), ("outcome", "failed")));
        Assert.Equal(1, PrometheusText.Value(scrape, "orleans_proxy_health_verdict_changes_total", ("cluster", cluster), ("destination", "10.0.0.1:80"), ("verdict", "unhealthy")));
        Assert.Equal(2, PrometheusText.Value(scrape, "orleans_proxy_request_path_grain_calls_total", ("grain", policy)));
    }

    private static Task<string> Scrape(TestEdge edge) => edge.Diagnostics.GetStringAsync("/metrics");
}
