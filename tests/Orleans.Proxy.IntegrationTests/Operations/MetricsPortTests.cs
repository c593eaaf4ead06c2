using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Proxy.Hosting.Diagnostics;
using Orleans.Proxy.IntegrationTests.Infrastructure;

namespace Orleans.Proxy.IntegrationTests.Operations;

/// <summary>Diagnostics:MetricsPort, a listener for Prometheus alone; and the version a host reports.</summary>
[Collection(MetricsCollection.Name)]
public sealed class MetricsPortTests
{
    [Fact]
    public async Task MetricsPort_ServesMetricsWithoutTheToken_AndNothingElse()
    {
        using var routes = new TempDirectory();
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path, new Dictionary<string, string?> { ["Diagnostics:MetricsPort"] = "0" });
        var endpoint = edge.App.Services.GetRequiredService<DiagnosticsBinding>().MetricsEndpoint;
        Assert.NotNull(endpoint);
        using var metrics = new HttpClient { BaseAddress = new Uri($"http://{endpoint}") };

        using var scrape = await metrics.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        Assert.Contains("# TYPE ", await scrape.Content.ReadAsStringAsync());
        foreach (var path in new[] { "/diag/edge", "/diag/version", "/health/ready", "/" })
        {
            using var other = await metrics.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        }

        // The diagnostics port still wants its token for /metrics.
        using var anonymous = new HttpClient { BaseAddress = edge.Diagnostics.BaseAddress };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/metrics")).StatusCode);
    }

    [Fact]
    public async Task Version_FromDirectoryBuildProps_IsInDiagVersionAndDiagEdge()
    {
        using var routes = new TempDirectory();
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path);

        var version = (await edge.DiagAsync("/diag/version")).GetProperty("version").GetString();

        Assert.StartsWith("0.2.0", version);
        Assert.Equal(version, (await edge.DiagAsync("/diag/edge")).GetProperty("version").GetString());
        Assert.Equal(JsonValueKind.Object, (await edge.DiagAsync("/diag/version")).ValueKind);
    }
}
