using k8s;
using k8s.Models;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting.Kubernetes;
using Orleans.Proxy.Hosting.Kubernetes;
using Orleans.Proxy.Silo.Membership;
using Orleans.Proxy.IntegrationTests.Kubernetes.FakeApiServer;
using Xunit.Abstractions;
using YamlDotNet.RepresentationModel;

using Orleans.Proxy.Testing;

namespace Orleans.Proxy.IntegrationTests.Kubernetes.Kustomize;

/// <summary>k8s/: every manifest loads with KubernetesClient's model types, and its RBAC allows what the code calls.</summary>
public sealed class KustomizeManifestTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(ManifestShape.ClusterWide)]
    [InlineData(ManifestShape.Namespaced)]
    public async Task Kustomize_Renders_AndWhatItRendersLoadsStrictly(ManifestShape shape)
    {
        var (objects, by) = await KubernetesManifests.RenderAsync(shape);
        output.WriteLine($"{shape}: {objects.Count} objects, rendered by {by}");

        Assert.All(objects, o => Assert.False(string.IsNullOrEmpty(((IMetadata<V1ObjectMeta>)o).Metadata?.Name)));
        Assert.All(objects.Where(o => o is not (V1Namespace or V1ClusterRole or V1ClusterRoleBinding or V1IngressClass)),
            o => Assert.NotNull(((IMetadata<V1ObjectMeta>)o).Metadata.NamespaceProperty));
        Assert.Equal(["orleans-proxy-edge:latest", "orleans-proxy-silo:latest"],
            objects.OfType<V1Deployment>().Select(d => d.Spec.Template.Spec.Containers[0].Image).Concat(objects.OfType<V1StatefulSet>().Select(s => s.Spec.Template.Spec.Containers[0].Image)));
        Assert.Equal(2, objects.OfType<V1NetworkPolicy>().Count());
        if (shape == ManifestShape.Namespaced)
        {
            // The controller's cluster-wide reads are gone; it reads the watched namespace through a RoleBinding.
            Assert.DoesNotContain(objects.OfType<V1ClusterRoleBinding>(), b => b.RoleRef.Name == "orleans-proxy-controller");
            var binding = Assert.Single(objects.OfType<V1RoleBinding>(), b => b.RoleRef.Name == "orleans-proxy-controller");
            Assert.Equal(KubernetesManifests.NamespacedComponentWatches, binding.Metadata.NamespaceProperty);
            var settings = Assert.Single(objects.OfType<V1ConfigMap>());
            Assert.Equal(KubernetesManifests.NamespacedComponentWatches, settings.Data["IngressController__Namespaces__0"]);
            var silo = Assert.Single(objects.OfType<V1StatefulSet>()).Spec.Template.Spec.Containers[0];
            Assert.Contains(silo.EnvFrom, e => e.ConfigMapRef.Name == settings.Metadata.Name);
        }
    }

    [Theory]
    [InlineData(ManifestShape.ClusterWide)]
    [InlineData(ManifestShape.Namespaced)]
    public async Task OwnRendering_AgreesWithKubectl_WhenKubectlIsInstalled(ManifestShape shape)
    {
        var (own, _) = await KubernetesManifests.RenderYamlAsync(shape, own: true);
        var ownObjects = ByKey(own);
        Assert.NotEmpty(ownObjects);
        if (KustomizeRendering.Kubectl is null)
        {
            // Without kubectl the other tests use this rendering; it must at least load strictly.
            output.WriteLine("kubectl is not installed: checked our rendering alone");
            return;
        }

        var (kubectl, _) = await KubernetesManifests.RenderYamlAsync(shape);
        var kubectlObjects = ByKey(kubectl);
        Assert.Equal(kubectlObjects.Keys.Order(StringComparer.Ordinal), ownObjects.Keys.Order(StringComparer.Ordinal));
        Assert.All(kubectlObjects, o => Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(o.Value, ownObjects[o.Key]), $"{o.Key}:\nkubectl: {o.Value}\nours:    {ownObjects[o.Key]}"));

        static Dictionary<string, System.Text.Json.Nodes.JsonNode?> ByKey(string yaml) =>
            KubernetesYaml.LoadAllFromString(yaml, new Dictionary<string, Type>(KubernetesManifests.Kinds), strict: true).ToDictionary(
                o => $"{((IKubernetesObject)o).Kind} {((IMetadata<V1ObjectMeta>)o).Metadata.NamespaceProperty}/{((IMetadata<V1ObjectMeta>)o).Metadata.Name}",
                o => System.Text.Json.Nodes.JsonNode.Parse(KubernetesJson.Serialize(o)));
    }

    [Fact]
    public async Task Rollouts_EdgeDrainsWithinItsGracePeriod_AndSilosLeaveWithinTheirs()
    {
        var (objects, _) = await KubernetesManifests.RenderAsync(ManifestShape.ClusterWide);
        var edge = Assert.Single(objects.OfType<V1Deployment>()).Spec.Template.Spec;
        var container = Assert.Single(edge.Containers);
        TimeSpan Env(string name) => TimeSpan.Parse(Assert.Single(container.Env, e => e.Name == name).Value, System.Globalization.CultureInfo.InvariantCulture);
        var preStop = TimeSpan.FromSeconds(container.Lifecycle.PreStop.Sleep.Seconds);
        var needed = preStop + Env("Edge__DrainPeriod") + Env("Edge__StopTimeout");
        Assert.True(needed < TimeSpan.FromSeconds(edge.TerminationGracePeriodSeconds!.Value), $"preStop + drain + stop timeout = {needed}, grace {edge.TerminationGracePeriodSeconds} s");
        Assert.True(Env("Edge__DrainPeriod") >= TimeSpan.FromSeconds(5), "the drain period covers a load balancer's deregistration");
        Assert.DoesNotContain(container.Env, e => e.Name == "Edge__Mode");
        // Silos: .NET's default shutdown timeout (30 s) for the graceful leave, inside the grace period.
        Assert.True(Assert.Single(objects.OfType<V1StatefulSet>()).Spec.Template.Spec.TerminationGracePeriodSeconds > 30);
    }

    [Fact]
    public async Task Workloads_LogJson_AndServeMetricsOnANamedPortWithoutTheToken()
    {
        var (objects, _) = await KubernetesManifests.RenderAsync(ManifestShape.ClusterWide);
        var pods = objects.OfType<V1Deployment>().Select(d => d.Spec.Template).Concat(objects.OfType<V1StatefulSet>().Select(s => s.Spec.Template)).ToList();
        Assert.Equal(2, pods.Count);
        foreach (var pod in pods)
        {
            var container = Assert.Single(pod.Spec.Containers);
            string Env(string name) => Assert.Single(container.Env, e => e.Name == name).Value;
            Assert.Equal("json", Env("Logging__Console__FormatterName"));
            var metrics = Assert.Single(container.Ports, p => p.Name == "metrics");
            Assert.Equal($"{metrics.ContainerPort}", Env("Diagnostics__MetricsPort"));
            // The metrics Service port of these pods.
            var service = Assert.Single(objects.OfType<V1Service>(), s => s.Spec.Ports.Any(p => p.Name == "metrics")
                && s.Spec.Selector.All(l => pod.Metadata.Labels.TryGetValue(l.Key, out var v) && v == l.Value));
            Assert.Equal("metrics", service.Spec.Ports.Single(p => p.Name == "metrics").TargetPort.Value);
            Assert.Equal("true", service.Metadata.Labels["orleans-proxy.io/metrics"]);
        }
    }

    [Fact]
    public async Task ServiceMonitor_SelectsTheServicesWithAMetricsPort_InOurNamespace()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(await File.ReadAllTextAsync(Path.Combine(KubernetesManifests.Directory, "servicemonitor.yaml"))));
        var monitor = (YamlMappingNode)Assert.Single(yaml.Documents).RootNode;
        string At(YamlNode node, params string[] path) => ((YamlScalarNode)path.Aggregate(node, (n, key) => ((YamlMappingNode)n).Children[new YamlScalarNode(key)])).Value!;
        Assert.Equal(("monitoring.coreos.com/v1", "ServiceMonitor"), (At(monitor, "apiVersion"), At(monitor, "kind")));
        var spec = (YamlMappingNode)monitor.Children[new YamlScalarNode("spec")];
        var matchLabels = ((YamlMappingNode)((YamlMappingNode)spec.Children[new YamlScalarNode("selector")]).Children[new YamlScalarNode("matchLabels")])
            .Children.ToDictionary(c => ((YamlScalarNode)c.Key).Value!, c => ((YamlScalarNode)c.Value).Value!);
        var endpoint = Assert.Single((YamlSequenceNode)spec.Children[new YamlScalarNode("endpoints")]);
        Assert.Equal(("metrics", "/metrics"), (At(endpoint, "port"), At(endpoint, "path")));
        Assert.Equal(KubernetesManifests.OwnNamespace, ((YamlScalarNode)Assert.Single((YamlSequenceNode)((YamlMappingNode)spec.Children[new YamlScalarNode("namespaceSelector")]).Children[new YamlScalarNode("matchNames")])).Value);

        var (objects, _) = await KubernetesManifests.RenderAsync(ManifestShape.ClusterWide);
        var selected = objects.OfType<V1Service>().Where(s => matchLabels.All(l => s.Metadata.Labels?.TryGetValue(l.Key, out var v) == true && v == l.Value)).ToList();
        Assert.Equal(["orleans-proxy-diagnostics", "orleans-proxy-silo"], selected.Select(s => s.Metadata.Name).Order(StringComparer.Ordinal));
        Assert.All(selected, s => Assert.Contains(s.Spec.Ports, p => p.Name == "metrics"));
    }

    [Fact]
    public async Task NetworkPolicy_ClusterPortsOnlyFromOurPods_DiagnosticsAndMetricsOnlyFromLabelledPeers()
    {
        var (objects, _) = await KubernetesManifests.RenderAsync(ManifestShape.ClusterWide);
        var policies = objects.OfType<V1NetworkPolicy>().ToList();
        var pods = objects.OfType<V1Deployment>().Select(d => d.Spec.Template).Concat(objects.OfType<V1StatefulSet>().Select(s => s.Spec.Template)).ToList();
        foreach (var pod in pods)
        {
            var policy = Assert.Single(policies, p => p.Spec.PodSelector.MatchLabels.All(l => pod.Metadata.Labels[l.Key] == l.Value));
            Assert.Equal(["Ingress"], policy.Spec.PolicyTypes);
            var ports = pod.Spec.Containers.SelectMany(c => c.Ports).Select(p => p.Name).ToHashSet();
            // Every port the policy names is a port of its pods, and every port of its pods is named by one rule.
            var named = policy.Spec.Ingress.SelectMany(r => r.Ports).Select(p => p.Port.Value).ToList();
            Assert.All(named, p => Assert.Contains(p, ports));
            Assert.Equal(ports.Order(StringComparer.Ordinal), named.Distinct().Order(StringComparer.Ordinal));
            foreach (var rule in policy.Spec.Ingress)
            {
                var rulePorts = rule.Ports.Select(p => p.Port.Value).ToHashSet();
                if (rulePorts.SetEquals(["http", "https"]))
                {
                    Assert.Null(rule.FromProperty);
                }
                else if (rulePorts.SetEquals(["silo", "gateway"]))
                {
                    Assert.NotNull(rule.FromProperty);
                    Assert.All(rule.FromProperty, peer => Assert.Null(peer.NamespaceSelector));
                    Assert.All(rule.FromProperty, peer => Assert.Equal("orleans-proxy", peer.PodSelector.MatchLabels["app.kubernetes.io/name"]));
                    Assert.Equal(["edge", "silo"], rule.FromProperty.Select(p => p.PodSelector.MatchLabels["app.kubernetes.io/component"]).Order(StringComparer.Ordinal));
                }
                else
                {
                    var port = Assert.Single(rulePorts);
                    var label = port == "metrics" ? "orleans-proxy.io/metrics" : "orleans-proxy.io/diagnostics";
                    Assert.Contains(port, new[] { "diagnostics", "health", "metrics" });
                    Assert.NotNull(rule.FromProperty);
                    Assert.All(rule.FromProperty, peer => Assert.Equal("allow", (peer.NamespaceSelector ?? peer.PodSelector).MatchLabels[label]));
                    Assert.Equal(2, rule.FromProperty.Count);
                }
            }
        }
    }

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
