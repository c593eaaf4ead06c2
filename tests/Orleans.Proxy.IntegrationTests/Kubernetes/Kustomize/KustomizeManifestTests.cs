using k8s;
using k8s.Models;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting.Kubernetes;
using Orleans.Proxy.Hosting.Kubernetes;
using Orleans.Proxy.Silo.Membership;
using Orleans.Proxy.IntegrationTests.Kubernetes.FakeApiServer;
using YamlDotNet.RepresentationModel;

using Orleans.Proxy.Testing;

namespace Orleans.Proxy.IntegrationTests.Kubernetes.Kustomize;

/// <summary>k8s/: every manifest loads with KubernetesClient's model types, and its RBAC allows what the code calls.</summary>
public sealed class KustomizeManifestTests
{
    [Fact]
    public async Task Manifests_EveryFileAndExample_LoadsStrictlyWithKubernetesClientModelTypes()
    {
        foreach (var file in KubernetesManifests.Files.Concat(KubernetesManifests.Examples))
        {
            var objects = await KubernetesManifests.LoadAsync(file);

            Assert.NotEmpty(objects);
            Assert.All(objects, o => Assert.Contains(o.GetType(), KubernetesManifests.Kinds.Values));
            Assert.All(objects, o => Assert.False(string.IsNullOrEmpty(((IMetadata<V1ObjectMeta>)o).Metadata?.Name), $"{file}: an object without a name"));

            // LoadAllFromFileAsync does not pass "strict" on; the string loader does: unknown fields (typos) throw.
            Assert.Equal(objects.Count, KubernetesYaml.LoadAllFromString(await File.ReadAllTextAsync(file), new Dictionary<string, Type>(KubernetesManifests.Kinds), strict: true).Count);
        }
    }

    [Fact]
    public async Task Kustomization_ListsExactlyTheManifestFiles()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(await File.ReadAllTextAsync(Path.Combine(KubernetesManifests.Directory, "kustomization.yaml"))));
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        var resources = ((YamlSequenceNode)root.Children[new YamlScalarNode("resources")]).Select(n => ((YamlScalarNode)n).Value!);

        Assert.Equal(KubernetesManifests.Files.Select(Path.GetFileName).Order(StringComparer.Ordinal), resources.Order(StringComparer.Ordinal));
        Assert.Equal("orleans-proxy", ((YamlScalarNode)root.Children[new YamlScalarNode("namespace")]).Value);
    }

    [Fact]
    public async Task SiloAndEdgeRbac_AllowEveryRequestOfMembershipAndGatewayDiscovery()
    {
        await using var server = await FakeKubernetesApiServer.StartAsync();
        var options = Options.Create(new KubernetesClusteringOptions { ApiServer = server.Url, Namespace = "orleans-proxy" });
        var cluster = Options.Create(new ClusterOptions { ClusterId = "orleans-proxy" });
        using (var api = new KubernetesApi(options))
        {
            var table = new KubernetesMembershipTable(api, cluster, Microsoft.Extensions.Logging.Abstractions.NullLogger<KubernetesMembershipTable>.Instance);
            await table.InitializeMembershipTableAsync(true, CancellationToken.None);
            var entry = new MembershipEntry
            {
                SiloAddress = SiloAddress.New(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 11111), 1),
                Status = SiloStatus.Active,
                ProxyPort = 30000,
                HostName = "h",
                SiloName = "s",
                StartTime = DateTime.UtcNow.AddDays(-2),
                IAmAliveTime = DateTime.UtcNow.AddDays(-2),
            };
            Assert.True(await table.InsertRowAsync(entry, (await table.ReadAllAsync(CancellationToken.None)).Version.Next(), CancellationToken.None));
            await table.UpdateIAmAliveAsync(entry, CancellationToken.None);
            await table.UpdateIAmAliveAsync(entry, CancellationToken.None);
            var read = await table.ReadRowAsync(entry.SiloAddress, CancellationToken.None);
            entry.Status = SiloStatus.Dead;
            Assert.True(await table.UpdateRowAsync(entry, read.Members[0].Item2, read.Version.Next(), CancellationToken.None));
            await table.CleanupDefunctSiloEntriesAsync(DateTimeOffset.UtcNow.AddDays(-1), CancellationToken.None);
            await table.DeleteMembershipTableEntriesAsync("orleans-proxy", CancellationToken.None);
        }

        await KubernetesManifests.AssertRbacCoversAsync(KubernetesManifests.SiloServiceAccount, server);
        Assert.Contains(new ApiRequestKey("patch", "coordination.k8s.io", "leases"), server.RequestCounts.Keys);

        await using var edgeServer = await FakeKubernetesApiServer.StartAsync();
        using (var api = new KubernetesApi(Options.Create(new KubernetesClusteringOptions { ApiServer = edgeServer.Url, Namespace = "orleans-proxy" })))
        {
            await new KubernetesGatewayListProvider(api, cluster, Options.Create(new GatewayOptions())).GetGatewaysAsync(CancellationToken.None);
        }

        await KubernetesManifests.AssertRbacCoversAsync(KubernetesManifests.EdgeServiceAccount, edgeServer);
        Assert.Equal([new ApiRequestKey("get", "", "configmaps")], edgeServer.RequestCounts.Keys);
    }

    [Fact]
    public void Rbac_MissingVerbOrNamedRuleForList_IsReportedUncovered()
    {
        var rules = new[] { new V1PolicyRule { ApiGroups = [""], Resources = ["configmaps"], ResourceNames = ["x"], Verbs = ["get", "list"] } };

        var uncovered = KubernetesManifests.Uncovered(rules, [new("get", "", "configmaps"), new("list", "", "configmaps"), new("update", "", "configmaps"), new("get", "", "pods")]);

        Assert.Equal([new("list", "", "configmaps"), new("update", "", "configmaps"), new("get", "", "pods")], uncovered);
    }

    [Fact]
    public async Task RbacNamesAndPodLabels_MatchTheClusterIdentityTheSilosRunWith()
    {
        var objects = await KubernetesManifests.LoadAllAsync();
        var silo = Assert.Single(objects.OfType<V1StatefulSet>());
        var container = Assert.Single(silo.Spec.Template.Spec.Containers);
        string Env(string name) => Assert.Single(container.Env, e => e.Name == name).Value;
        var clusterId = Env("Cluster__ClusterId");

        var named = objects.OfType<V1Role>().SelectMany(r => r.Rules).Where(r => r.ResourceNames is { Count: > 0 }).SelectMany(r => r.ResourceNames);
        Assert.All(named, name => Assert.Equal(MembershipNames.Table(clusterId), name));
        Assert.Equal(clusterId, silo.Spec.Template.Metadata.Labels[KubernetesHostingOptions.ClusterIdLabel]);
        Assert.Equal(Env("Cluster__ServiceId"), silo.Spec.Template.Metadata.Labels[KubernetesHostingOptions.ServiceIdLabel]);
        Assert.Equal("Kubernetes", Env("Cluster__Clustering"));
        var edge = Assert.Single(objects.OfType<V1Deployment>());
        Assert.Equal(clusterId, Assert.Single(edge.Spec.Template.Spec.Containers[0].Env, e => e.Name == "Cluster__ClusterId").Value);
    }

    [Fact]
    public async Task Workloads_HaveTheDownwardApiProbesAutoscalingAndServicesTheyNeed()
    {
        var objects = await KubernetesManifests.LoadAllAsync();

        var silo = Assert.Single(objects.OfType<V1StatefulSet>());
        Assert.Equal(3, silo.Spec.Replicas);
        var siloContainer = Assert.Single(silo.Spec.Template.Spec.Containers);
        Assert.Equal("metadata.name", Assert.Single(siloContainer.Env, e => e.Name == KubernetesHostingOptions.PodNameEnvironmentVariable).ValueFrom.FieldRef.FieldPath);
        Assert.Equal("metadata.namespace", Assert.Single(siloContainer.Env, e => e.Name == KubernetesHostingOptions.PodNamespaceEnvironmentVariable).ValueFrom.FieldRef.FieldPath);
        Assert.Equal("status.podIP", Assert.Single(siloContainer.Env, e => e.Name == KubernetesHostingOptions.PodIPEnvironmentVariable).ValueFrom.FieldRef.FieldPath);
        Assert.Equal(("/health/ready", "/health/live"), (siloContainer.ReadinessProbe.HttpGet.Path, siloContainer.LivenessProbe.HttpGet.Path));
        Assert.Equal(KubernetesManifests.SiloServiceAccount, silo.Spec.Template.Spec.ServiceAccountName);

        var edge = Assert.Single(objects.OfType<V1Deployment>());
        var edgeContainer = Assert.Single(edge.Spec.Template.Spec.Containers);
        Assert.Equal(("/health/ready", "/health/live"), (edgeContainer.ReadinessProbe.HttpGet.Path, edgeContainer.LivenessProbe.HttpGet.Path));
        Assert.Equal("diagnostics", edgeContainer.ReadinessProbe.HttpGet.Port.Value);
        Assert.Equal(KubernetesManifests.EdgeServiceAccount, edge.Spec.Template.Spec.ServiceAccountName);
        Assert.NotNull(edgeContainer.Resources.Requests["cpu"]);

        var hpa = Assert.Single(objects.OfType<V2HorizontalPodAutoscaler>());
        Assert.Equal((edge.Metadata.Name, 2, 20), (hpa.Spec.ScaleTargetRef.Name, hpa.Spec.MinReplicas, hpa.Spec.MaxReplicas));
        Assert.Equal("cpu", Assert.Single(hpa.Spec.Metrics).Resource.Name);
        Assert.Equal(2, objects.OfType<V1PodDisruptionBudget>().Count());

        var services = objects.OfType<V1Service>().ToList();
        var loadBalancer = Assert.Single(services, s => s.Spec.Type == "LoadBalancer");
        Assert.Equal([80, 443], loadBalancer.Spec.Ports.Select(p => p.Port));
        Assert.Contains(services, s => s.Spec.Type == "ClusterIP" && s.Spec.Ports.Any(p => p.Port == 9090));

        var ingressClass = Assert.Single(objects.OfType<V1IngressClass>());
        Assert.Equal("orleans-proxy.io/ingress-controller", ingressClass.Spec.Controller);
    }
}
