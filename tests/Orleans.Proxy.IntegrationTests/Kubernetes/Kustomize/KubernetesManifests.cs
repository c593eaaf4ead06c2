using k8s;
using k8s.Models;
using Orleans.Proxy.IntegrationTests.Kubernetes.FakeApiServer;

namespace Orleans.Proxy.IntegrationTests.Kubernetes.Kustomize;

/// <summary>The repository's k8s/ folder, loaded with KubernetesClient's YAML loader and model types.</summary>
internal static class KubernetesManifests
{
    /// <summary>Every kind the manifests may contain, by apiVersion/kind, as KubernetesYaml maps them.</summary>
    public static readonly IReadOnlyDictionary<string, Type> Kinds = new Dictionary<string, Type>
    {
        ["v1/Namespace"] = typeof(V1Namespace),
        ["v1/ServiceAccount"] = typeof(V1ServiceAccount),
        ["v1/Service"] = typeof(V1Service),
        ["v1/ConfigMap"] = typeof(V1ConfigMap),
        ["networking.k8s.io/v1/NetworkPolicy"] = typeof(V1NetworkPolicy),
        ["rbac.authorization.k8s.io/v1/Role"] = typeof(V1Role),
        ["rbac.authorization.k8s.io/v1/RoleBinding"] = typeof(V1RoleBinding),
        ["rbac.authorization.k8s.io/v1/ClusterRole"] = typeof(V1ClusterRole),
        ["rbac.authorization.k8s.io/v1/ClusterRoleBinding"] = typeof(V1ClusterRoleBinding),
        ["apps/v1/StatefulSet"] = typeof(V1StatefulSet),
        ["apps/v1/Deployment"] = typeof(V1Deployment),
        ["autoscaling/v2/HorizontalPodAutoscaler"] = typeof(V2HorizontalPodAutoscaler),
        ["policy/v1/PodDisruptionBudget"] = typeof(V1PodDisruptionBudget),
        ["networking.k8s.io/v1/IngressClass"] = typeof(V1IngressClass),
        ["networking.k8s.io/v1/Ingress"] = typeof(V1Ingress),
        // k8s/components/admission-webhook.
        ["admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration"] = typeof(V1ValidatingWebhookConfiguration),
        // k8s/examples/cert-manager.yaml (cert-manager's CRDs).
        ["cert-manager.io/v1/Issuer"] = typeof(CertManagerIssuer),
        ["cert-manager.io/v1/Certificate"] = typeof(CertManagerCertificate),
    };

    public const string SiloServiceAccount = "orleans-proxy-silo";

    public const string EdgeServiceAccount = "orleans-proxy-edge";

    public static string Directory { get; } = FindDirectory();

    /// <summary>Manifests beside the kustomization that it does not apply: they need CRDs a cluster may lack.</summary>
    public static readonly IReadOnlySet<string> Optional = new HashSet<string>(StringComparer.Ordinal) { "servicemonitor.yaml" };

    /// <summary>The manifests kustomize applies (not kustomization.yaml, not the optional ones, not examples/ or components/).</summary>
    public static IEnumerable<string> Files => System.IO.Directory.GetFiles(Directory, "*.yaml")
        .Where(f => Path.GetFileName(f) != "kustomization.yaml" && !Optional.Contains(Path.GetFileName(f))).Order(StringComparer.Ordinal);

    public const string OwnNamespace = "orleans-proxy";

    /// <summary>The namespace k8s/components/namespaced lets the controller watch.</summary>
    public const string NamespacedComponentWatches = "default";

    /// <summary>The objects <c>kubectl kustomize</c> renders for <paramref name="shape"/> (or our rendering, without kubectl), loaded strictly.</summary>
    public static async Task<(List<object> Objects, string By)> RenderAsync(ManifestShape shape)
    {
        var (yaml, by) = await RenderYamlAsync(shape);
        return (KubernetesYaml.LoadAllFromString(yaml, new Dictionary<string, Type>(Kinds), strict: true), by);
    }

    public static async Task<(string Yaml, string By)> RenderYamlAsync(ManifestShape shape, bool own = false)
    {
        if (shape == ManifestShape.ClusterWide)
        {
            return own ? (KustomizeRendering.RenderOwn(Directory), "own rendering") : await KustomizeRendering.RenderAsync(Directory);
        }

        var user = Path.Combine(Path.GetTempPath(), $"orleans-proxy-kustomize-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(user);
        try
        {
            var k8s = Path.GetRelativePath(user, Directory).Replace('\\', '/');
            await File.WriteAllTextAsync(Path.Combine(user, "kustomization.yaml"), $"""
                apiVersion: kustomize.config.k8s.io/v1beta1
                kind: Kustomization
                resources: ["{k8s}"]
                components: ["{k8s}/components/namespaced"]

                """);
            return own ? (KustomizeRendering.RenderOwn(user), "own rendering") : await KustomizeRendering.RenderAsync(user);
        }
        finally
        {
            System.IO.Directory.Delete(user, recursive: true);
        }
    }

    /// <summary>
    /// The requests no binding of <paramref name="objects"/> allows the ServiceAccount, as the API server's RBAC
    /// authorizer decides with namespaces (names aside): a ClusterRoleBinding allows everywhere, a RoleBinding
    /// (to a Role or a ClusterRole) only in its own namespace.
    /// </summary>
    public static IEnumerable<ApiRequest> UncoveredScoped(IReadOnlyCollection<object> objects, string serviceAccount, IEnumerable<ApiRequest> requests)
    {
        var roles = objects.OfType<V1Role>().ToDictionary(r => (r.Metadata.NamespaceProperty, r.Metadata.Name), r => r.Rules);
        var clusterRoles = objects.OfType<V1ClusterRole>().ToDictionary(r => r.Metadata.Name, r => r.Rules);
        bool Ours(IEnumerable<Rbacv1Subject>? subjects) =>
            subjects?.Any(s => s.Kind == "ServiceAccount" && s.Name == serviceAccount && s.NamespaceProperty == OwnNamespace) == true;
        var grants = objects.OfType<V1ClusterRoleBinding>().Where(b => Ours(b.Subjects)).Select(b => ((string?)null, clusterRoles[b.RoleRef.Name]))
            .Concat(objects.OfType<V1RoleBinding>().Where(b => Ours(b.Subjects)).Select(b => ((string?)b.Metadata.NamespaceProperty,
                b.RoleRef.Kind == "ClusterRole" ? clusterRoles[b.RoleRef.Name] : roles[(b.Metadata.NamespaceProperty, b.RoleRef.Name)])))
            .ToList();
        return requests.Where(request => !grants.Any(g => (g.Item1 is null || g.Item1 == request.Namespace) && g.Item2.Any(rule => Allows(rule, request.Key))));
    }

    public static IEnumerable<string> Examples => System.IO.Directory.GetFiles(Path.Combine(Directory, "examples"), "*.yaml").Order(StringComparer.Ordinal);

    public static async Task<List<object>> LoadAsync(string file) =>
        await KubernetesYaml.LoadAllFromFileAsync(file, new Dictionary<string, Type>(Kinds));

    public static async Task<List<object>> LoadAllAsync()
    {
        var all = new List<object>();
        foreach (var file in Files)
        {
            all.AddRange(await LoadAsync(file));
        }

        return all;
    }

    /// <summary>The rules every Role and ClusterRole bound to <paramref name="serviceAccount"/> grants.</summary>
    public static async Task<List<V1PolicyRule>> RulesForAsync(string serviceAccount)
    {
        var objects = await LoadAllAsync();
        var roles = objects.OfType<V1Role>().ToDictionary(r => ("Role", r.Metadata.Name), r => r.Rules);
        foreach (var clusterRole in objects.OfType<V1ClusterRole>())
        {
            roles[("ClusterRole", clusterRole.Metadata.Name)] = clusterRole.Rules;
        }

        var bound = objects.OfType<V1RoleBinding>().Select(b => (b.RoleRef, b.Subjects))
            .Concat(objects.OfType<V1ClusterRoleBinding>().Select(b => (b.RoleRef, b.Subjects)))
            .Where(b => b.Subjects.Any(s => s.Kind == "ServiceAccount" && s.Name == serviceAccount))
            .Select(b => roles[(b.RoleRef.Kind, b.RoleRef.Name)]);
        return [.. bound.SelectMany(rules => rules)];
    }

    /// <summary>The requests no rule allows, as the API server's RBAC authorizer decides (names aside).</summary>
    public static IEnumerable<ApiRequestKey> Uncovered(IEnumerable<V1PolicyRule> rules, IEnumerable<ApiRequestKey> requests) =>
        requests.Where(request => !rules.Any(rule => Allows(rule, request)));

    /// <summary>Asserts that <paramref name="serviceAccount"/>'s RBAC allows every request the fake API server counted.</summary>
    public static async Task AssertRbacCoversAsync(string serviceAccount, FakeKubernetesApiServer server)
    {
        var uncovered = Uncovered(await RulesForAsync(serviceAccount), server.RequestCounts.Keys).ToList();
        Assert.True(uncovered.Count == 0, $"k8s/ RBAC of {serviceAccount} does not allow: {string.Join(", ", uncovered)}");
    }

    private static bool Allows(V1PolicyRule rule, ApiRequestKey request) =>
        Matches(rule.ApiGroups, request.Group)
        && Matches(rule.Resources, request.Resource)
        && Matches(rule.Verbs, request.Verb)
        // A rule limited to names cannot authorize requests that carry no name.
        && (rule.ResourceNames is not { Count: > 0 } || request.Verb is not ("create" or "list" or "watch" or "deletecollection"));

    private static bool Matches(IList<string>? allowed, string value) => allowed is not null && (allowed.Contains("*") || allowed.Contains(value));

    private static string FindDirectory()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var k8s = Path.Combine(directory.FullName, "k8s");
            if (File.Exists(Path.Combine(k8s, "kustomization.yaml")))
            {
                return k8s;
            }
        }

        throw new DirectoryNotFoundException($"no k8s/kustomization.yaml above {AppContext.BaseDirectory}");
    }
}

/// <summary>The two ways to install: k8s/ as it is, or with the namespaced component (a kustomization outside k8s/, as a user writes it).</summary>
public enum ManifestShape
{
    ClusterWide,
    Namespaced,
}
