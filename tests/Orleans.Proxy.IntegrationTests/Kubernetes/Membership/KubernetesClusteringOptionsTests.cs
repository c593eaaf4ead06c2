using Microsoft.Extensions.Options;
using Orleans.Proxy.Hosting.Kubernetes;
using Orleans.Proxy.Silo.Membership;
using Orleans.Proxy.IntegrationTests.Infrastructure;

namespace Orleans.Proxy.IntegrationTests.Kubernetes.Membership;

public sealed class KubernetesClusteringOptionsTests
{
    [Fact]
    public async Task ClientEdge_ApiServerNotAUrl_FailsAtStartNamingTheKey()
    {
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => TestEdge.StartClientAsync(new Dictionary<string, string?>
        {
            ["Cluster:Clustering"] = "Kubernetes",
            ["Cluster:Kubernetes:ApiServer"] = "api-server:6443",
            ["Cluster:Tls:Disabled"] = "true",
        }));

        Assert.Contains("Cluster:Kubernetes:ApiServer 'api-server:6443' is not an http(s) URL", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NoPodAndNoKubeconfig_NamesTheKeysToSet()
    {
        using var missing = new TempDirectory();

        var result = new KubernetesClusteringOptionsValidator().Validate(null, new KubernetesClusteringOptions { KubeConfig = Path.Combine(missing.Path, "config") });

        Assert.True(result.Failed);
        Assert.Contains("Cluster:Kubernetes:KubeConfig", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Cluster:Kubernetes:ApiServer", result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("orleans-proxy", "orleans-proxy-membership")]
    [InlineData("Orleans_Proxy", "orleans-proxy-")]
    [InlineData("a-cluster-id-that-is-much-longer-than-forty-characters", "a-cluster-id-that-is-much-longe-")]
    public void TableName_AnyClusterId_IsAValidLabelValue(string clusterId, string expectedPrefix)
    {
        var name = MembershipNames.Table(clusterId);

        Assert.StartsWith(expectedPrefix, name, StringComparison.Ordinal);
        Assert.Matches("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", name);
        Assert.True(name.Length <= 63);
        Assert.NotEqual(MembershipNames.Table(clusterId.ToUpperInvariant() + "x"), name);
    }
}
