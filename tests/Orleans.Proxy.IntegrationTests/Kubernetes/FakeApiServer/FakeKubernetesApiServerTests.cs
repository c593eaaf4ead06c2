using System.Net;
using System.Threading.Channels;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Orleans.Proxy.IntegrationTests.Infrastructure;

namespace Orleans.Proxy.IntegrationTests.Kubernetes.FakeApiServer;

/// <summary>The fake API server, driven through KubernetesClient exactly as the proxy's code drives a real one.</summary>
public sealed class FakeKubernetesApiServerTests : IAsyncLifetime
{
    private FakeKubernetesApiServer _server = null!;
    private k8s.Kubernetes _client = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeKubernetesApiServer.StartAsync();
        _client = _server.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task List_AfterCreates_ReturnsNamespacedAndAllItemsAtTheGlobalResourceVersion()
    {
        var a1 = await _client.CoreV1.CreateNamespacedServiceAsync(Service("a1"), "a");
        var a2 = await _client.CoreV1.CreateNamespacedServiceAsync(Service("a2"), "a");
        var b1 = await _client.CoreV1.CreateNamespacedServiceAsync(Service("b1"), "b");

        var inA = await _client.CoreV1.ListNamespacedServiceAsync("a");
        var all = await _client.CoreV1.ListServiceForAllNamespacesAsync();

        Assert.Equal(["a1", "a2"], inA.Items.Select(s => s.Metadata.Name));
        Assert.Equal(["a1", "a2", "b1"], all.Items.Select(s => s.Metadata.Name));
        Assert.True(long.Parse(a1.Metadata.ResourceVersion) < long.Parse(a2.Metadata.ResourceVersion));
        Assert.True(long.Parse(a2.Metadata.ResourceVersion) < long.Parse(b1.Metadata.ResourceVersion));
        Assert.Equal(b1.Metadata.ResourceVersion, all.Metadata.ResourceVersion);
        Assert.Equal("b", b1.Metadata.NamespaceProperty);
        Assert.False(string.IsNullOrEmpty(b1.Metadata.Uid));
    }

    [Fact]
    public async Task List_WithLabelSelector_ReturnsOnlyMatchingEndpointSlices()
    {
        await _client.DiscoveryV1.CreateNamespacedEndpointSliceAsync(Slice("web-1", "web"), "a");
        await _client.DiscoveryV1.CreateNamespacedEndpointSliceAsync(Slice("api-1", "api"), "a");

        var web = await _client.DiscoveryV1.ListNamespacedEndpointSliceAsync("a", labelSelector: "kubernetes.io/service-name=web");
        var notWeb = await _client.DiscoveryV1.ListNamespacedEndpointSliceAsync("a", labelSelector: "kubernetes.io/service-name notin (web)");

        Assert.Equal(["web-1"], web.Items.Select(s => s.Metadata.Name));
        Assert.Equal(["api-1"], notWeb.Items.Select(s => s.Metadata.Name));
    }

    [Fact]
    public async Task Create_ExistingName_Answers409AlreadyExists()
    {
        await _client.CoordinationV1.CreateNamespacedLeaseAsync(Lease("l"), "a");

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoordinationV1.CreateNamespacedLeaseAsync(Lease("l"), "a"));

        Assert.Equal(HttpStatusCode.Conflict, e.Response.StatusCode);
        Assert.Contains("\"reason\":\"AlreadyExists\"", e.Response.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replace_StaleResourceVersion_Answers409ConflictAndKeepsTheWinner()
    {
        var created = await _client.CoordinationV1.CreateNamespacedLeaseAsync(Lease("l"), "a");
        var first = Lease("l", holder: "first");
        first.Metadata.ResourceVersion = created.Metadata.ResourceVersion;
        var second = Lease("l", holder: "second");
        second.Metadata.ResourceVersion = created.Metadata.ResourceVersion;

        var won = await _client.CoordinationV1.ReplaceNamespacedLeaseAsync(first, "l", "a");
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoordinationV1.ReplaceNamespacedLeaseAsync(second, "l", "a"));

        Assert.Equal(HttpStatusCode.Conflict, e.Response.StatusCode);
        Assert.Contains("\"reason\":\"Conflict\"", e.Response.Content, StringComparison.Ordinal);
        Assert.True(long.Parse(won.Metadata.ResourceVersion) > long.Parse(created.Metadata.ResourceVersion));
        Assert.Equal("first", (await _client.CoordinationV1.ReadNamespacedLeaseAsync("l", "a")).Spec.HolderIdentity);
    }

    [Fact]
    public async Task Replace_Unchanged_KeepsTheResourceVersion()
    {
        var created = await _client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new() { Name = "c" }, Data = new Dictionary<string, string> { ["k"] = "v" } }, "a");

        var replaced = await _client.CoreV1.ReplaceNamespacedConfigMapAsync(created, "c", "a");

        Assert.Equal(created.Metadata.ResourceVersion, replaced.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task Read_Missing_Answers404()
    {
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => _client.NetworkingV1.ReadNamespacedIngressAsync("nope", "a"));

        Assert.Equal(HttpStatusCode.NotFound, e.Response.StatusCode);
    }

    [Fact]
    public async Task PatchStatus_MergePatch_ChangesOnlyStatus_AndMainUpdateIgnoresStatus()
    {
        var created = await _client.NetworkingV1.CreateNamespacedIngressAsync(Ingress("i"), "a");
        var status = new V1Patch("""{"status":{"loadBalancer":{"ingress":[{"ip":"10.0.0.1"}]}},"spec":{"ingressClassName":"other"}}""", V1Patch.PatchType.MergePatch);

        var patched = await _client.NetworkingV1.PatchNamespacedIngressStatusAsync(status, "i", "a");
        var classAfterStatusPatch = patched.Spec.IngressClassName;
        patched.Status.LoadBalancer.Ingress = [new V1IngressLoadBalancerIngress { Ip = "10.9.9.9" }];
        patched.Spec.IngressClassName = "changed";
        var replaced = await _client.NetworkingV1.ReplaceNamespacedIngressAsync(patched, "i", "a");

        Assert.Equal("orleans-proxy", classAfterStatusPatch);
        Assert.Equal("10.0.0.1", replaced.Status.LoadBalancer.Ingress.Single().Ip);
        Assert.Equal("changed", replaced.Spec.IngressClassName);
        Assert.Equal(1, created.Metadata.Generation);
        Assert.Equal(2, replaced.Metadata.Generation);
    }

    [Fact]
    public async Task Patch_MergePatchWithStaleResourceVersion_Answers409()
    {
        var created = await _client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new() { Name = "c" } }, "a");
        await _client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"data":{"k":"1"}}""", V1Patch.PatchType.MergePatch), "c", "a");

        var stale = new V1Patch($$$"""{"metadata":{"resourceVersion":"{{{created.Metadata.ResourceVersion}}}"},"data":{"k":"2"}}""", V1Patch.PatchType.MergePatch);
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.PatchNamespacedConfigMapAsync(stale, "c", "a"));

        Assert.Equal(HttpStatusCode.Conflict, e.Response.StatusCode);
        Assert.Equal("1", (await _client.CoreV1.ReadNamespacedConfigMapAsync("c", "a")).Data["k"]);
    }

    [Fact]
    public async Task Watch_FromListVersion_StreamsAddedModifiedDeletedInOrder()
    {
        await _client.NetworkingV1.CreateNamespacedIngressAsync(Ingress("before"), "a");
        var list = await _client.NetworkingV1.ListNamespacedIngressAsync("a");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var events = Collect(_client.NetworkingV1.WatchListNamespacedIngressAsync("a", resourceVersion: list.Metadata.ResourceVersion, cancellationToken: cts.Token));

        var created = await _client.NetworkingV1.CreateNamespacedIngressAsync(Ingress("i"), "a");
        await _client.NetworkingV1.CreateNamespacedIngressAsync(Ingress("elsewhere"), "b");
        created.Spec.IngressClassName = "changed";
        await _client.NetworkingV1.ReplaceNamespacedIngressAsync(created, "i", "a");
        await _client.NetworkingV1.DeleteNamespacedIngressAsync("i", "a");

        Assert.Equal((WatchEventType.Added, "i"), await NextAsync(events, cts.Token));
        Assert.Equal((WatchEventType.Modified, "i"), await NextAsync(events, cts.Token));
        Assert.Equal((WatchEventType.Deleted, "i"), await NextAsync(events, cts.Token));
    }

    [Fact]
    public async Task Watch_WithoutVersion_StartsWithTheCurrentStateAsAdded()
    {
        await _client.NetworkingV1.CreateIngressClassAsync(new V1IngressClass { Metadata = new() { Name = "ours" }, Spec = new() { Controller = "orleans-proxy.io/ingress-controller" } });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var events = Collect(_client.NetworkingV1.WatchListIngressClassAsync(cancellationToken: cts.Token));

        Assert.Equal((WatchEventType.Added, "ours"), await NextAsync(events, cts.Token));
    }

    [Fact]
    public async Task Watch_LabelChangeOutOfSelector_IsDeliveredAsDeleted()
    {
        var slice = await _client.DiscoveryV1.CreateNamespacedEndpointSliceAsync(Slice("s", "web"), "a");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var events = Collect(_client.DiscoveryV1.WatchListNamespacedEndpointSliceAsync("a", labelSelector: "kubernetes.io/service-name=web", cancellationToken: cts.Token));
        Assert.Equal((WatchEventType.Added, "s"), await NextAsync(events, cts.Token));

        slice.Metadata.Labels["kubernetes.io/service-name"] = "api";
        await _client.DiscoveryV1.ReplaceNamespacedEndpointSliceAsync(slice, "s", "a");

        Assert.Equal((WatchEventType.Deleted, "s"), await NextAsync(events, cts.Token));
    }

    [Fact]
    public async Task Watch_FromCompactedVersion_GetsExpiredErrorEventThenEnds()
    {
        var created = await _client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new() { Name = "s" } }, "a");
        await _client.CoreV1.DeleteNamespacedSecretAsync("s", "a");
        _server.Compact();
        var errors = new List<Exception>();

        var events = new List<WatchEventType>();
        await foreach (var (type, _) in _client.CoreV1.WatchListNamespacedSecretAsync("a", resourceVersion: created.Metadata.ResourceVersion, onError: errors.Add))
        {
            events.Add(type);
        }

        Assert.Empty(events);
        var expired = Assert.IsType<KubernetesException>(Assert.Single(errors));
        Assert.Equal(410, expired.Status.Code);
        Assert.Equal("Expired", expired.Status.Reason);
    }

    [Fact]
    public async Task Watch_ForcedGoneAsHttpStatus_Answers410()
    {
        _server.ForceGoneOnNextWatch(GoneStyle.HttpStatus);

        var e = await Assert.ThrowsAsync<HttpOperationException>(async () =>
        {
            await foreach (var _ in _client.CoreV1.WatchListNamespacedPodAsync("a"))
            {
            }
        });

        Assert.Equal(HttpStatusCode.Gone, e.Response.StatusCode);
    }

    [Fact]
    public async Task BreakWatches_EndsOpenStreams_AndAResumedWatchMissesNothing()
    {
        var list = await _client.CoreV1.ListNamespacedServiceAsync("a");
        var seen = new System.Collections.Concurrent.ConcurrentQueue<(WatchEventType, string)>();
        var stream = Task.Run(async () =>
        {
            await foreach (var (type, service) in _client.CoreV1.WatchListNamespacedServiceAsync("a", resourceVersion: list.Metadata.ResourceVersion))
            {
                seen.Enqueue((type, service.Metadata.Name));
            }
        });
        await Eventually.Until(() => Task.FromResult(_server.OpenWatches == 1), "the watch is open");
        var first = await _client.CoreV1.CreateNamespacedServiceAsync(Service("first"), "a");
        await Eventually.Until(() => Task.FromResult(seen.Count == 1), "the first event arrives");

        _server.BreakWatches();
        await stream;
        await _client.CoreV1.CreateNamespacedServiceAsync(Service("while-down"), "a");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var resumed = Collect(_client.CoreV1.WatchListNamespacedServiceAsync("a", resourceVersion: first.Metadata.ResourceVersion, cancellationToken: cts.Token));

        Assert.Equal((WatchEventType.Added, "while-down"), await NextAsync(resumed, cts.Token));
        Assert.Equal(1, _server.OpenWatches);
    }

    [Fact]
    public async Task Watch_WithBookmarks_ReceivesBookmarkAtTheCurrentVersion()
    {
        await _client.CoordinationV1.CreateNamespacedLeaseAsync(Lease("other"), "b");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var bookmarks = Channel.CreateUnbounded<string>();
        _ = Task.Run(async () =>
        {
            await foreach (var (type, lease) in _client.CoordinationV1.WatchListNamespacedLeaseAsync("a", allowWatchBookmarks: true, cancellationToken: cts.Token))
            {
                if (type == WatchEventType.Bookmark)
                {
                    bookmarks.Writer.TryWrite(lease.Metadata.ResourceVersion);
                }
            }
        }, cts.Token);
        await Eventually.Until(() => Task.FromResult(_server.OpenWatches == 1), "the watch is open");

        _server.SendBookmarks();

        Assert.Equal($"{_server.ResourceVersion}", await bookmarks.Reader.ReadAsync(cts.Token));
    }

    [Fact]
    public async Task RequestCounts_CountVerbAndResourceAsRbacNamesThem()
    {
        await _client.CoordinationV1.CreateNamespacedLeaseAsync(Lease("l"), "a");
        await _client.CoordinationV1.ReadNamespacedLeaseAsync("l", "a");
        await _client.NetworkingV1.ListIngressForAllNamespacesAsync();
        await _client.CoreV1.CreateNamespacedEventAsync(new Corev1Event { Metadata = new() { GenerateName = "i." }, InvolvedObject = new() { Kind = "Ingress", Name = "i" } }, "a");

        Assert.Equal(1, _server.Count("create", ResourceKinds.Leases));
        Assert.Equal(1, _server.Count("get", ResourceKinds.Leases));
        Assert.Equal(1, _server.Count("list", ResourceKinds.Ingresses));
        Assert.Equal(1, _server.Count("create", ResourceKinds.Events));
        Assert.Contains(new ApiRequestKey("create", "coordination.k8s.io", "leases"), _server.RequestCounts.Keys);
    }

    private static ChannelReader<(WatchEventType, string)> Collect<T>(IAsyncEnumerable<(WatchEventType, T)> watch)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        var channel = Channel.CreateUnbounded<(WatchEventType, string)>();
        _ = Task.Run(async () =>
        {
            try
            {
                await foreach (var (type, item) in watch)
                {
                    channel.Writer.TryWrite((type, item.Metadata.Name));
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
        return channel.Reader;
    }

    private static async Task<(WatchEventType, string)> NextAsync(ChannelReader<(WatchEventType, string)> events, CancellationToken cancellationToken) =>
        await events.ReadAsync(cancellationToken);

    private static V1Service Service(string name) => new() { Metadata = new() { Name = name }, Spec = new() { Ports = [new V1ServicePort { Name = "http", Port = 80 }] } };

    private static V1Lease Lease(string name, string? holder = null) => new() { Metadata = new() { Name = name }, Spec = new() { HolderIdentity = holder } };

    private static V1Ingress Ingress(string name) => new()
    {
        Metadata = new() { Name = name },
        Spec = new() { IngressClassName = "orleans-proxy", DefaultBackend = new() { Service = new() { Name = "web", Port = new() { Number = 80 } } } },
    };

    private static V1EndpointSlice Slice(string name, string service) => new()
    {
        Metadata = new() { Name = name, Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = service } },
        AddressType = "IPv4",
        Endpoints = [new V1Endpoint { Addresses = ["10.0.0.1"], Conditions = new() { Ready = true } }],
    };
}
