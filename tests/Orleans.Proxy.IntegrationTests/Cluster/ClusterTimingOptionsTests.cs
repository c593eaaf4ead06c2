using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Proxy.IntegrationTests.Infrastructure;
using Orleans.Proxy.Testing;

namespace Orleans.Proxy.IntegrationTests.Cluster;

/// <summary>How soon silos forget an edge that lost its connection and edges reuse a gateway that came back.</summary>
public sealed class ClusterTimingOptionsTests
{
    [Fact]
    public async Task ClientEdge_TimingsOutOfRange_FailsAtStartNamingEveryKey()
    {
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => TestEdge.StartClientAsync(new Dictionary<string, string?>
        {
            ["Cluster:GatewayRefreshPeriod"] = "00:00:00",
            ["Cluster:ClientDropTimeout"] = "02:00:00",
        }));

        Assert.Contains("Cluster:GatewayRefreshPeriod", e.Message, StringComparison.Ordinal);
        Assert.Contains("Cluster:ClientDropTimeout", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SiloAndClientEdge_Defaults_ForgetALostEdgeAndRetryAGatewayWithinSeconds()
    {
        using var routes = new TempDirectory();
        await using var silo = await TestSilo.StartAsync(routes.Path);
        await using var edge = await TestEdge.StartClientAsync(silo.GatewayPort);

        // Orleans' defaults are a minute each; see ProxyClusterOptions for what that cost.
        Assert.Equal(TimeSpan.FromSeconds(10), silo.App.Services.GetRequiredService<IOptions<SiloMessagingOptions>>().Value.ClientDropTimeout);
        Assert.Equal(TimeSpan.FromSeconds(10), edge.App.Services.GetRequiredService<IOptions<GatewayOptions>>().Value.GatewayListRefreshPeriod);
        // Orleans' are four minutes and a million entries; see ProxyClusterOptions.DirectoryCacheTtl.
        var directory = silo.App.Services.GetRequiredService<IOptions<GrainDirectoryOptions>>().Value;
        Assert.Equal(TimeSpan.FromSeconds(20), directory.MaximumCacheTTL);
        Assert.Equal(100_000, directory.CacheSize);
    }

    [Fact]
    public async Task SiloAndClientEdge_Configured_ReachOrleans()
    {
        using var routes = new TempDirectory();
        await using var silo = await TestSilo.StartAsync(routes.Path, new Dictionary<string, string?> { ["Cluster:ClientDropTimeout"] = "00:00:30" });
        await using var edge = await TestEdge.StartClientAsync(new Dictionary<string, string?>
        {
            ["Cluster:GatewayPort"] = $"{silo.GatewayPort}",
            ["Cluster:GatewayRefreshPeriod"] = "00:00:05",
        });

        Assert.Equal(TimeSpan.FromSeconds(30), silo.App.Services.GetRequiredService<IOptions<SiloMessagingOptions>>().Value.ClientDropTimeout);
        Assert.Equal(TimeSpan.FromSeconds(5), edge.App.Services.GetRequiredService<IOptions<GatewayOptions>>().Value.GatewayListRefreshPeriod);
    }
}
