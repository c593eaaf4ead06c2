using System.Net;
using k8s;
using k8s.Autorest;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Messaging;

namespace Orleans.Proxy.Hosting.Kubernetes;

/// <summary>Gateways for Orleans clients (edges): the active silos with a gateway port, read from the membership ConfigMap.</summary>
internal sealed class KubernetesGatewayListProvider(
    KubernetesApi api,
    IOptions<ClusterOptions> clusterOptions,
    IOptions<GatewayOptions> gatewayOptions) : IGatewayListProvider
{
    private readonly string _tableName = MembershipNames.Table(clusterOptions.Value.ClusterId);

    public TimeSpan MaxStaleness => gatewayOptions.Value.GatewayListRefreshPeriod;

    public bool IsUpdatable => true;

    public Task InitializeGatewayListProvider() => Task.CompletedTask;

    public Task<IList<Uri>> GetGateways() => GetGatewaysAsync(CancellationToken.None);

    public async Task<IList<Uri>> GetGatewaysAsync(CancellationToken cancellationToken)
    {
        try
        {
            var configMap = await api.Client.CoreV1.ReadNamespacedConfigMapAsync(_tableName, api.Namespace, cancellationToken: cancellationToken);
            if (configMap.Data?.TryGetValue(MembershipDocument.DataKey, out var json) != true)
            {
                return [];
            }

            return [.. MembershipDocument.Parse(json!).Members.Where(m => m.Status == SiloStatus.Active && m.ProxyPort != 0).Select(m => m.GatewayUri())];
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            // No silo has started yet.
            return [];
        }
    }
}
