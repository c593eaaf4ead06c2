using System.Net;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Proxy.Hosting.Kubernetes;
using Orleans.Proxy.Silo.Membership;
using Orleans.Proxy.IntegrationTests.Kubernetes.FakeApiServer;
using Orleans.Proxy.IntegrationTests.Kubernetes.Kustomize;

using Orleans.Proxy.Testing;

namespace Orleans.Proxy.IntegrationTests.Kubernetes.Membership;

/// <summary>
/// The membership table contract, as Orleans' own membership table tests state it, against the fake
/// API server: etags, table version, atomic insert and update, heartbeats apart, defunct cleanup.
/// </summary>
public sealed class KubernetesMembershipTableTests : IAsyncLifetime
{
    public const string Namespace = "orleans";
    private const string ClusterId = "test-cluster";
    private static int _generation;

    private readonly List<KubernetesApi> _apis = [];
    private FakeKubernetesApiServer _server = null!;
    private KubernetesMembershipTable _table = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeKubernetesApiServer.StartAsync();
        _table = NewTable();
        await _table.InitializeMembershipTableAsync(true, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        foreach (var api in _apis)
        {
            api.Dispose();
        }

        await _server.DisposeAsync();

        // Every call the table made in this test is one the silo's RBAC in k8s/ allows.
        await KubernetesManifests.AssertRbacCoversAsync(KubernetesManifests.SiloServiceAccount, _server);
    }

    [Fact]
    public async Task ReadAll_EmptyTable_HasVersionZeroAndAnEtag()
    {
        var data = await _table.ReadAllAsync(CancellationToken.None);

        Assert.Empty(data.Members);
        Assert.Equal(0, data.Version.Version);
        Assert.False(string.IsNullOrEmpty(data.Version.VersionEtag));
    }

    [Fact]
    public async Task InitializeMembershipTable_Twice_KeepsTheFirstTable()
    {
        Assert.True(await _table.InsertRowAsync(Entry(), (await _table.ReadAllAsync(CancellationToken.None)).Version.Next(), CancellationToken.None));

        await NewTable().InitializeMembershipTableAsync(true, CancellationToken.None);

        Assert.Single((await _table.ReadAllAsync(CancellationToken.None)).Members);
    }

    [Fact]
    public async Task InsertRow_WithNextVersion_AddsTheRowAndBumpsTheVersionAndEtag()
    {
        var before = await _table.ReadAllAsync(CancellationToken.None);
        var entry = Entry();

        Assert.True(await _table.InsertRowAsync(entry, before.Version.Next(), CancellationToken.None));

        var after = await _table.ReadAllAsync(CancellationToken.None);
        var (row, etag) = Assert.Single(after.Members);
        Assert.Equal(1, after.Version.Version);
        Assert.NotEqual(before.Version.VersionEtag, after.Version.VersionEtag);
        Assert.False(string.IsNullOrEmpty(etag));
        AssertSameEntry(entry, row);
    }

    [Fact]
    public async Task InsertRow_DuplicateOrStaleVersion_Fails()
    {
        var version = (await _table.ReadAllAsync(CancellationToken.None)).Version.Next();
        var entry = Entry();
        Assert.True(await _table.InsertRowAsync(entry, version, CancellationToken.None));

        Assert.False(await _table.InsertRowAsync(entry, version, CancellationToken.None));
        Assert.False(await _table.InsertRowAsync(Entry(), version, CancellationToken.None));
        var current = await _table.ReadAllAsync(CancellationToken.None);
        Assert.False(await _table.InsertRowAsync(entry, current.Version.Next(), CancellationToken.None));

        var row = await _table.ReadRowAsync(entry.SiloAddress, CancellationToken.None);
        Assert.Single(row.Members);
        Assert.Equal(1, row.Version.Version);
        Assert.Equal(current.Version, row.Version);
        Assert.Single((await _table.ReadAllAsync(CancellationToken.None)).Members);
    }

    [Fact]
    public async Task ReadRow_UnknownSilo_ReturnsNoRowAndTheTableVersion()
    {
        Assert.True(await _table.InsertRowAsync(Entry(), (await _table.ReadAllAsync(CancellationToken.None)).Version.Next(), CancellationToken.None));

        var data = await _table.ReadRowAsync(Entry().SiloAddress, CancellationToken.None);

        Assert.Empty(data.Members);
        Assert.Equal(1, data.Version.Version);
    }

    [Fact]
    public async Task UpdateRow_StaleEtagOrStaleVersion_Fails_CurrentOnesSucceed()
    {
        var data = await _table.ReadAllAsync(CancellationToken.None);
        for (var i = 1; i <= 3; i++)
        {
            var entry = Entry();
            entry.SuspectTimes = [Tuple.Create(Entry().SiloAddress, Now().AddSeconds(1)), Tuple.Create(Entry().SiloAddress, Now().AddSeconds(2))];
            var insertVersion = data.Version.Next();
            Assert.True(await _table.InsertRowAsync(entry, insertVersion, CancellationToken.None));
            data = await _table.ReadAllAsync(CancellationToken.None);
            var etagBefore = data.TryGet(entry.SiloAddress)!.Item2;

            // The version the insert used is stale now.
            Assert.False(await _table.UpdateRowAsync(entry, etagBefore, insertVersion, CancellationToken.None));

            var updateVersion = data.Version.Next();
            entry.Status = SiloStatus.Active;
            Assert.True(await _table.UpdateRowAsync(entry, etagBefore, updateVersion, CancellationToken.None));

            // Both the row etag and the table version moved on.
            Assert.False(await _table.UpdateRowAsync(entry, etagBefore, updateVersion, CancellationToken.None));
            data = await _table.ReadAllAsync(CancellationToken.None);
            var (row, etagAfter) = data.TryGet(entry.SiloAddress)!;
            AssertSameEntry(entry, row);
            Assert.NotEqual(etagBefore, etagAfter);
            Assert.False(await _table.UpdateRowAsync(entry, etagAfter, updateVersion, CancellationToken.None));
            Assert.Equal(data.Version, (await _table.ReadAllAsync(CancellationToken.None)).Version);
            Assert.Equal(i, data.Members.Count);
            Assert.Equal(2 * i, data.Version.Version);
        }

        Assert.False(await _table.UpdateRowAsync(Entry(), data.Members[0].Item2, data.Version.Next(), CancellationToken.None));
        Assert.Equal(data.Version, (await _table.ReadAllAsync(CancellationToken.None)).Version);
    }

    [Fact]
    public async Task UpdateRow_ManyWritersRetryingInParallel_AllLandAndTheVersionCountsThem()
    {
        var entry = Entry();
        Assert.True(await _table.InsertRowAsync(entry, (await _table.ReadAllAsync(CancellationToken.None)).Version.Next(), CancellationToken.None));
        var writers = Enumerable.Range(0, 6).Select(_ => NewTable()).ToArray();

        await Task.WhenAll(writers.Select(async writer =>
        {
            while (true)
            {
                var data = await writer.ReadAllAsync(CancellationToken.None);
                var (row, etag) = data.TryGet(entry.SiloAddress)!;
                if (await writer.UpdateRowAsync(row, etag, data.Version.Next(), CancellationToken.None))
                {
                    return;
                }
            }
        }));

        var final = await _table.ReadAllAsync(CancellationToken.None);
        Assert.Equal(1 + writers.Length, final.Version.Version);
        Assert.Single(final.Members);
    }

    [Fact]
    public async Task InsertRow_TwoWritersFromTheSameRead_ExactlyOneWins()
    {
        var first = NewTable();
        var second = NewTable();
        var version = (await first.ReadAllAsync(CancellationToken.None)).Version.Next();
        var (a, b) = (Entry(), Entry());

        // The second writer's whole insert lands between the first writer's read and its write.
        var interleaved = 0;
        _server.BeforeServing = async key =>
        {
            if (key == new ApiRequestKey("update", "", "configmaps") && Interlocked.Exchange(ref interleaved, 1) == 0)
            {
                Assert.True(await second.InsertRowAsync(b, version, CancellationToken.None));
            }
        };
        var firstWon = await first.InsertRowAsync(a, version, CancellationToken.None);

        Assert.False(firstWon);
        var data = await _table.ReadAllAsync(CancellationToken.None);
        var (row, _) = Assert.Single(data.Members);
        Assert.Equal(b.SiloAddress, row.SiloAddress);
        Assert.Equal(1, data.Version.Version);
        Assert.True(_server.Count("update", ResourceKinds.ConfigMaps) >= 2);
    }

    [Fact]
    public async Task InsertRow_TwoConcurrentWriters_ExactlyOneWinsEveryRound()
    {
        var writers = new[] { NewTable(), NewTable() };
        for (var round = 1; round <= 5; round++)
        {
            var version = (await _table.ReadAllAsync(CancellationToken.None)).Version.Next();
            using var start = new SemaphoreSlim(0);
            var attempts = writers.Select(async w =>
            {
                await start.WaitAsync();
                return await w.InsertRowAsync(Entry(), version, CancellationToken.None);
            }).ToArray();
            start.Release(2);

            Assert.Single(await Task.WhenAll(attempts), won => won);
            var data = await _table.ReadAllAsync(CancellationToken.None);
            Assert.Equal(round, data.Members.Count);
            Assert.Equal(round, data.Version.Version);
        }
    }

    [Fact]
    public async Task InsertRow_LosingOnlyToACleanup_RetriesAndSucceeds()
    {
        var dead = Entry(daysAgo: 10);
        dead.Status = SiloStatus.Dead;
        Assert.True(await _table.InsertRowAsync(dead, (await _table.ReadAllAsync(CancellationToken.None)).Version.Next(), CancellationToken.None));
        var version = (await _table.ReadAllAsync(CancellationToken.None)).Version.Next();
        var cleaner = NewTable();
        var interleaved = 0;
        _server.BeforeServing = async key =>
        {
            if (key == new ApiRequestKey("update", "", "configmaps") && Interlocked.Exchange(ref interleaved, 1) == 0)
            {
                await cleaner.CleanupDefunctSiloEntriesAsync(DateTimeOffset.UtcNow.AddDays(-1), CancellationToken.None);
            }
        };

        var entry = Entry();
        Assert.True(await _table.InsertRowAsync(entry, version, CancellationToken.None));

        var data = await _table.ReadAllAsync(CancellationToken.None);
        Assert.Equal(entry.SiloAddress, Assert.Single(data.Members).Item1.SiloAddress);
        Assert.Equal(version.Version, data.Version.Version);
    }

    [Fact]
    public async Task UpdateIAmAlive_ChangesNeitherRowNorVersion_AndTheOldEtagStillUpdates()
    {
        var entry = Entry();
        Assert.True(await _table.InsertRowAsync(entry, (await _table.ReadAllAsync(CancellationToken.None)).Version.Next(), CancellationToken.None));
        var before = await _table.ReadAllAsync(CancellationToken.None);
        var (_, etag) = Assert.Single(before.Members);
        var aliveAt = Now().AddSeconds(5);

        await _table.UpdateIAmAliveAsync(new MembershipEntry { SiloAddress = entry.SiloAddress, IAmAliveTime = aliveAt }, CancellationToken.None);
        await _table.UpdateIAmAliveAsync(new MembershipEntry { SiloAddress = entry.SiloAddress, IAmAliveTime = aliveAt }, CancellationToken.None);

        var after = await _table.ReadAllAsync(CancellationToken.None);
        var (row, etagAfter) = Assert.Single(after.Members);
        Assert.Equal(before.Version, after.Version);
        Assert.Equal(etag, etagAfter);
        Assert.Equal(aliveAt, row.IAmAliveTime);
        Assert.Equal(aliveAt, Assert.Single((await _table.ReadRowAsync(entry.SiloAddress, CancellationToken.None)).Members).Item1.IAmAliveTime);
        Assert.Equal(1, _server.Count("create", ResourceKinds.Leases));
        Assert.Equal(0, _server.Count("update", ResourceKinds.ConfigMaps) - 1);

        entry.Status = SiloStatus.Active;
        Assert.True(await _table.UpdateRowAsync(entry, etag, before.Version.Next(), CancellationToken.None));
        Assert.Equal(before.Version.Version + 1, (await _table.ReadAllAsync(CancellationToken.None)).Version.Version);
    }

    [Fact]
    public async Task CleanupDefunctSiloEntries_RemovesOldDeadRowsAndTheirLeasesOnly()
    {
        var statuses = Enum.GetValues<SiloStatus>().Where(s => s != SiloStatus.None).ToArray();
        var entries = statuses.Select(s => (Entry: Entry(daysAgo: 10), Status: s)).Append((Entry: Entry(), Status: SiloStatus.Dead)).ToList();
        foreach (var (entry, status) in entries)
        {
            entry.Status = status;
            Assert.True(await _table.InsertRowAsync(entry, (await _table.ReadAllAsync(CancellationToken.None)).Version.Next(), CancellationToken.None));
            await _table.UpdateIAmAliveAsync(new MembershipEntry { SiloAddress = entry.SiloAddress, IAmAliveTime = entry.IAmAliveTime }, CancellationToken.None);
        }

        var before = await _table.ReadAllAsync(CancellationToken.None);

        await _table.CleanupDefunctSiloEntriesAsync(DateTimeOffset.UtcNow.AddDays(-7), CancellationToken.None);

        var after = await _table.ReadAllAsync(CancellationToken.None);
        var oldDead = entries.Single(e => e.Status == SiloStatus.Dead && e.Entry.StartTime < DateTime.UtcNow.AddDays(-7)).Entry.SiloAddress;
        Assert.Equal(before.Members.Count - 1, after.Members.Count);
        Assert.DoesNotContain(after.Members, m => m.Item1.SiloAddress.Equals(oldDead));
        Assert.Contains(after.Members, m => m.Item1.Status == SiloStatus.Dead);
        Assert.Equal(before.Version, after.Version);
        Assert.Equal(before.Members.Count - 1, _server.List<V1Lease>(Namespace).Count);

        await _table.CleanupDefunctSiloEntriesAsync(DateTimeOffset.UtcNow.AddDays(-7), CancellationToken.None);
        Assert.Equal(after.Version, (await _table.ReadAllAsync(CancellationToken.None)).Version);
        Assert.Equal(after.Members.Count, (await _table.ReadAllAsync(CancellationToken.None)).Members.Count);
    }

    [Fact]
    public async Task DeleteMembershipTableEntries_RemovesTheTableAndHeartbeats_ThenTheTableCanStartOver()
    {
        var entry = Entry();
        Assert.True(await _table.InsertRowAsync(entry, (await _table.ReadAllAsync(CancellationToken.None)).Version.Next(), CancellationToken.None));
        await _table.UpdateIAmAliveAsync(entry, CancellationToken.None);

        await _table.DeleteMembershipTableEntriesAsync(ClusterId, CancellationToken.None);

        Assert.Empty(_server.List<V1ConfigMap>(Namespace));
        Assert.Empty(_server.List<V1Lease>(Namespace));
        var empty = await _table.ReadAllAsync(CancellationToken.None);
        Assert.Empty(empty.Members);
        Assert.Equal(0, empty.Version.Version);
        Assert.True(await _table.InsertRowAsync(entry, empty.Version.Next(), CancellationToken.None));
        Assert.Single((await _table.ReadAllAsync(CancellationToken.None)).Members);
    }

    [Fact]
    public async Task GetGateways_ListsActiveSilosWithAGatewayPortOnly()
    {
        var entries = Enumerable.Range(0, 5).Select(_ => Entry()).ToArray();
        entries[1].Status = SiloStatus.Active;
        entries[1].ProxyPort = 0;
        entries[2].Status = SiloStatus.Active;
        entries[4].Status = SiloStatus.Active;
        entries[4].ProxyPort = 30001;
        foreach (var entry in entries)
        {
            Assert.True(await _table.InsertRowAsync(entry, (await _table.ReadAllAsync(CancellationToken.None)).Version.Next(), CancellationToken.None));
        }

        var api = Api();
        var gateways = await new KubernetesGatewayListProvider(api, Options.Create(new ClusterOptions { ClusterId = ClusterId }), Options.Create(new GatewayOptions()))
            .GetGatewaysAsync(CancellationToken.None);

        Assert.Equal(
            new[] { entries[2].SiloAddress.ToGatewayUri(), SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 30001), entries[4].SiloAddress.Generation).ToGatewayUri() }.Select(u => u.ToString()).Order(),
            gateways.Select(u => u.ToString()).Order());
    }

    [Fact]
    public async Task GetGateways_NoTableYet_ReturnsNone()
    {
        await _table.DeleteMembershipTableEntriesAsync(ClusterId, CancellationToken.None);

        var gateways = await new KubernetesGatewayListProvider(Api(), Options.Create(new ClusterOptions { ClusterId = ClusterId }), Options.Create(new GatewayOptions()))
            .GetGatewaysAsync(CancellationToken.None);

        Assert.Empty(gateways);
    }

    private KubernetesMembershipTable NewTable() =>
        new(Api(), Options.Create(new ClusterOptions { ClusterId = ClusterId, ServiceId = "test-service" }), NullLogger<KubernetesMembershipTable>.Instance);

    private KubernetesApi Api()
    {
        var api = new KubernetesApi(Options.Create(new KubernetesClusteringOptions { ApiServer = _server.Url, Namespace = Namespace }));
        _apis.Add(api);
        return api;
    }

    private static MembershipEntry Entry(int daysAgo = 0)
    {
        var address = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 12345), Interlocked.Increment(ref _generation));
        return new MembershipEntry
        {
            SiloAddress = address,
            HostName = "test-host",
            SiloName = "test-silo",
            Status = SiloStatus.Joining,
            ProxyPort = address.Endpoint.Port,
            StartTime = Now().AddDays(-daysAgo),
            IAmAliveTime = Now().AddDays(-daysAgo),
        };
    }

    /// <summary>Second resolution, as Orleans' own tests use: what every store round-trips exactly.</summary>
    private static DateTime Now()
    {
        var now = DateTime.UtcNow;
        return new DateTime(now.Year, now.Month, now.Day, now.Hour, now.Minute, now.Second, DateTimeKind.Utc);
    }

    private static void AssertSameEntry(MembershipEntry expected, MembershipEntry actual)
    {
        Assert.Equal(expected.SiloAddress, actual.SiloAddress);
        Assert.Equal(expected.Status, actual.Status);
        Assert.Equal(expected.ProxyPort, actual.ProxyPort);
        Assert.Equal(expected.HostName, actual.HostName);
        Assert.Equal(expected.SiloName, actual.SiloName);
        Assert.Equal(expected.StartTime, actual.StartTime);
        Assert.Equal(
            (expected.SuspectTimes ?? []).Select(s => (s.Item1, s.Item2)),
            (actual.SuspectTimes ?? []).Select(s => (s.Item1, s.Item2)));
    }
}
