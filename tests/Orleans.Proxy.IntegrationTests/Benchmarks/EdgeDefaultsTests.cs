using System.Net;
using Orleans.Proxy.IntegrationTests.Infrastructure;

namespace Orleans.Proxy.IntegrationTests.Benchmarks;

/// <summary>Defaults the benchmark tuned: they hold unless configured otherwise.</summary>
public sealed class EdgeDefaultsTests
{
    [Fact]
    public async Task Dashboard_EmbeddedEdgeWithoutSetting_IsNotServed()
    {
        using var routes = new TempDirectory();
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path);
        await Eventually.Until(async () => (await edge.Diagnostics.GetAsync("/health/ready")).IsSuccessStatusCode, "the edge is ready");

        Assert.Equal(HttpStatusCode.NotFound, (await edge.Diagnostics.GetAsync("/dashboard/")).StatusCode);
    }
}
