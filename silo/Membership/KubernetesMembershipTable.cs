using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

using Orleans.Proxy.Hosting.Kubernetes;
namespace Orleans.Proxy.Silo.Membership;

/// <summary>
/// Orleans membership over the Kubernetes API, with no other store. The table (rows and table version)
/// is one ConfigMap, written only by compare-and-swap on its resourceVersion: an insert or update is
/// one atomic write, and of two writers that read the same table exactly one succeeds. Heartbeats
/// (UpdateIAmAlive) go to one coordination Lease per silo, so they never conflict with table writes;
/// reads merge them in.
/// </summary>
internal sealed partial class KubernetesMembershipTable(
    KubernetesApi api,
    IOptions<ClusterOptions> clusterOptions,
    ILogger<KubernetesMembershipTable> logger) : IMembershipTable
{
    /// <summary>
    /// A write that loses the resourceVersion race re-reads and re-checks its own preconditions; it only
    /// retries when the winner left them true (a heartbeat-free cleanup did). Bounded against livelock.
    /// </summary>
    private const int MaxConflictRetries = 8;

    private readonly string _clusterId = clusterOptions.Value.ClusterId;
    private readonly string _tableName = MembershipNames.Table(clusterOptions.Value.ClusterId);

    public Task InitializeMembershipTable(bool tryInitTableVersion) => InitializeMembershipTableAsync(tryInitTableVersion, CancellationToken.None);

    public async Task InitializeMembershipTableAsync(bool tryInitTableVersion, CancellationToken cancellationToken)
    {
        if (!tryInitTableVersion)
        {
            return;
        }

        try
        {
            await api.Client.CoreV1.CreateNamespacedConfigMapAsync(NewConfigMap(MembershipDocument.Empty with { Etag = MembershipDocument.NewEtag() }), api.Namespace, cancellationToken: cancellationToken);
            LogTableCreated(api.Namespace, _tableName);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // Another silo created it first: that is the table.
        }
    }

    public Task DeleteMembershipTableEntries(string clusterId) => DeleteMembershipTableEntriesAsync(clusterId, CancellationToken.None);

    public async Task DeleteMembershipTableEntriesAsync(string clusterId, CancellationToken cancellationToken)
    {
        var table = MembershipNames.Table(clusterId);
        await IgnoreNotFound(api.Client.CoreV1.DeleteNamespacedConfigMapAsync(table, api.Namespace, cancellationToken: cancellationToken));
        var leases = await api.Client.CoordinationV1.ListNamespacedLeaseAsync(api.Namespace, labelSelector: $"{MembershipNames.TableLabel}={table}", cancellationToken: cancellationToken);
        foreach (var lease in leases.Items)
        {
            await IgnoreNotFound(api.Client.CoordinationV1.DeleteNamespacedLeaseAsync(lease.Metadata.Name, api.Namespace, cancellationToken: cancellationToken));
        }
    }

    public Task<MembershipTableData> ReadRow(SiloAddress key) => ReadRowAsync(key, CancellationToken.None);

    public async Task<MembershipTableData> ReadRowAsync(SiloAddress key, CancellationToken cancellationToken)
    {
        var (_, document) = await ReadTableAsync(cancellationToken);
        var version = new TableVersion(document.Version, document.Etag);
        if (document.Find(key) is not { } row)
        {
            return new MembershipTableData(version);
        }

        DateTime? heartbeat = null;
        try
        {
            heartbeat = (await api.Client.CoordinationV1.ReadNamespacedLeaseAsync(MembershipNames.Heartbeat(_clusterId, key), api.Namespace, cancellationToken: cancellationToken)).Spec?.RenewTime;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
        }

        return new MembershipTableData(Tuple.Create(row.ToEntry(heartbeat), row.Etag), version);
    }

    public Task<MembershipTableData> ReadAll() => ReadAllAsync(CancellationToken.None);

    public async Task<MembershipTableData> ReadAllAsync(CancellationToken cancellationToken)
    {
        var (_, document) = await ReadTableAsync(cancellationToken);
        var heartbeats = await ReadHeartbeatsAsync(cancellationToken);
        return new MembershipTableData(
            [.. document.Members.Select(m => Tuple.Create(m.ToEntry(heartbeats.GetValueOrDefault(m.Address)), m.Etag))],
            new TableVersion(document.Version, document.Etag));
    }

    public Task<bool> InsertRow(MembershipEntry entry, TableVersion tableVersion) => InsertRowAsync(entry, tableVersion, CancellationToken.None);

    public Task<bool> InsertRowAsync(MembershipEntry entry, TableVersion tableVersion, CancellationToken cancellationToken) =>
        TryWriteAsync(nameof(InsertRow), entry.SiloAddress, document =>
        {
            if (document.Etag != tableVersion.VersionEtag || document.Find(entry.SiloAddress) is not null)
            {
                return null;
            }

            return document.Next(tableVersion.Version, [.. document.Members, MemberRow.From(entry, "1")]);
        }, cancellationToken);

    public Task<bool> UpdateRow(MembershipEntry entry, string etag, TableVersion tableVersion) => UpdateRowAsync(entry, etag, tableVersion, CancellationToken.None);

    public Task<bool> UpdateRowAsync(MembershipEntry entry, string etag, TableVersion tableVersion, CancellationToken cancellationToken) =>
        TryWriteAsync(nameof(UpdateRow), entry.SiloAddress, document =>
        {
            if (document.Etag != tableVersion.VersionEtag || document.Find(entry.SiloAddress) is not { } row || row.Etag != etag)
            {
                return null;
            }

            var rowEtag = (long.Parse(row.Etag, System.Globalization.CultureInfo.InvariantCulture) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return document.Next(tableVersion.Version, [.. document.Members.Select(m => m == row ? MemberRow.From(entry, rowEtag) : m)]);
        }, cancellationToken);

    public Task UpdateIAmAlive(MembershipEntry entry) => UpdateIAmAliveAsync(entry, CancellationToken.None);

    /// <summary>Writes the silo's own Lease: one writer per Lease, so no precondition and no conflict.</summary>
    public async Task UpdateIAmAliveAsync(MembershipEntry entry, CancellationToken cancellationToken)
    {
        var name = MembershipNames.Heartbeat(_clusterId, entry.SiloAddress);
        var lease = new V1Lease
        {
            Metadata = new V1ObjectMeta
            {
                Name = name,
                Labels = new Dictionary<string, string>
                {
                    [MembershipNames.TableLabel] = _tableName,
                    [MembershipNames.ManagedByLabel] = MembershipNames.ManagedBy,
                },
            },
            Spec = new V1LeaseSpec { HolderIdentity = entry.SiloAddress.ToParsableString(), RenewTime = entry.IAmAliveTime },
        };
        try
        {
            var patch = new V1Patch(KubernetesJson.Serialize(new V1Lease { Spec = lease.Spec }), V1Patch.PatchType.MergePatch);
            await api.Client.CoordinationV1.PatchNamespacedLeaseAsync(patch, name, api.Namespace, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            await api.Client.CoordinationV1.CreateNamespacedLeaseAsync(lease, api.Namespace, cancellationToken: cancellationToken);
        }
    }

    public Task CleanupDefunctSiloEntries(DateTimeOffset beforeDate) => CleanupDefunctSiloEntriesAsync(beforeDate, CancellationToken.None);

    /// <summary>Removes dead rows last updated before <paramref name="beforeDate"/>, keeping the table version and etag, then their Leases.</summary>
    public async Task CleanupDefunctSiloEntriesAsync(DateTimeOffset beforeDate, CancellationToken cancellationToken)
    {
        var heartbeats = await ReadHeartbeatsAsync(cancellationToken);
        List<MemberRow> removed = [];
        await TryWriteAsync(nameof(CleanupDefunctSiloEntries), null, document =>
        {
            removed = document.Members
                .Where(m => m.Status == SiloStatus.Dead && m.LastUpdate(heartbeats.TryGetValue(m.Address, out var h) ? h : null) < beforeDate.UtcDateTime)
                .ToList();
            return removed.Count == 0 ? null : document with { Members = [.. document.Members.Except(removed)] };
        }, cancellationToken);
        foreach (var row in removed)
        {
            await IgnoreNotFound(api.Client.CoordinationV1.DeleteNamespacedLeaseAsync(MembershipNames.Heartbeat(_clusterId, row.SiloAddress), api.Namespace, cancellationToken: cancellationToken));
        }

        if (removed.Count > 0)
        {
            LogDefunctRemoved(removed.Count, beforeDate);
        }
    }

    /// <summary>
    /// Read, decide, write with the read resourceVersion. <paramref name="change"/> returns null when its
    /// preconditions do not hold (the operation fails); a 409 means another write came first: read again.
    /// </summary>
    private async Task<bool> TryWriteAsync(string operation, SiloAddress? silo, Func<MembershipDocument, MembershipDocument?> change, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt <= MaxConflictRetries; attempt++)
        {
            var (configMap, document) = await ReadTableAsync(cancellationToken);
            if (change(document) is not { } next)
            {
                return false;
            }

            try
            {
                if (configMap is null)
                {
                    await api.Client.CoreV1.CreateNamespacedConfigMapAsync(NewConfigMap(next), api.Namespace, cancellationToken: cancellationToken);
                }
                else
                {
                    configMap.Data ??= new Dictionary<string, string>();
                    configMap.Data[MembershipDocument.DataKey] = next.ToJson();
                    await api.Client.CoreV1.ReplaceNamespacedConfigMapAsync(configMap, _tableName, api.Namespace, cancellationToken: cancellationToken);
                }

                return true;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
            {
                LogWriteConflict(operation, silo, attempt);
            }
        }

        return false;
    }

    /// <summary>The ConfigMap (with its resourceVersion, for the next write) and the table it holds; no object is an empty table.</summary>
    private async Task<(V1ConfigMap? ConfigMap, MembershipDocument Document)> ReadTableAsync(CancellationToken cancellationToken)
    {
        try
        {
            var configMap = await api.Client.CoreV1.ReadNamespacedConfigMapAsync(_tableName, api.Namespace, cancellationToken: cancellationToken);
            return configMap.Data?.TryGetValue(MembershipDocument.DataKey, out var json) == true
                ? (configMap, MembershipDocument.Parse(json))
                : throw new InvalidOperationException($"ConfigMap {api.Namespace}/{_tableName} has no '{MembershipDocument.DataKey}' key: it is not an Orleans membership table");
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return (null, MembershipDocument.Empty);
        }
    }

    private async Task<Dictionary<string, DateTime>> ReadHeartbeatsAsync(CancellationToken cancellationToken)
    {
        var leases = await api.Client.CoordinationV1.ListNamespacedLeaseAsync(api.Namespace, labelSelector: $"{MembershipNames.TableLabel}={_tableName}", cancellationToken: cancellationToken);
        var heartbeats = new Dictionary<string, DateTime>(StringComparer.Ordinal);
        foreach (var lease in leases.Items)
        {
            if (lease.Spec is { HolderIdentity: { } holder, RenewTime: { } renewed })
            {
                heartbeats[holder] = renewed;
            }
        }

        return heartbeats;
    }

    private V1ConfigMap NewConfigMap(MembershipDocument document) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = _tableName,
            Labels = new Dictionary<string, string> { [MembershipNames.ManagedByLabel] = MembershipNames.ManagedBy },
            Annotations = new Dictionary<string, string> { [MembershipNames.ClusterIdAnnotation] = _clusterId },
        },
        Data = new Dictionary<string, string> { [MembershipDocument.DataKey] = document.ToJson() },
    };

    private static async Task IgnoreNotFound(Task request)
    {
        try
        {
            await request;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the membership table ConfigMap {Namespace}/{Name}")]
    private partial void LogTableCreated(string @namespace, string name);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Operation} for silo {Silo} lost a write race on the membership table (attempt {Attempt}); re-reading it")]
    private partial void LogWriteConflict(string operation, SiloAddress? silo, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed {Count} dead silo entries last updated before {BeforeDate}")]
    private partial void LogDefunctRemoved(int count, DateTimeOffset beforeDate);
}
