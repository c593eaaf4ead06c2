using System.Diagnostics;
using YamlDotNet.RepresentationModel;

namespace Orleans.Proxy.IntegrationTests.Kubernetes.Kustomize;

/// <summary>
/// What <c>kubectl kustomize</c> makes of a folder. With kubectl on the PATH it is run; without it,
/// <see cref="RenderOwn"/> does what our kustomizations use (resources, components, namespace, labels,
/// images, delete patches), so the tests still check the manifests as kubectl would apply them. When
/// kubectl is there, a test checks that both renderings agree.
/// </summary>
internal static class KustomizeRendering
{
    private static readonly HashSet<string> ClusterScoped = new(StringComparer.Ordinal)
    {
        "Namespace", "ClusterRole", "ClusterRoleBinding", "IngressClass", "CustomResourceDefinition", "ValidatingWebhookConfiguration",
    };

    public static string? Kubectl { get; } = FindOnPath("kubectl");

    /// <summary>kubectl's rendering when kubectl is installed, else our own.</summary>
    public static async Task<(string Yaml, string By)> RenderAsync(string directory) =>
        Kubectl is null ? (RenderOwn(directory), "own rendering (kubectl is not installed)") : (await RenderWithKubectlAsync(directory), "kubectl kustomize");

    public static async Task<string> RenderWithKubectlAsync(string directory)
    {
        var start = new ProcessStartInfo(Kubectl ?? throw new InvalidOperationException("kubectl is not installed"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("kustomize");
        start.ArgumentList.Add(directory);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0 ? await output : throw new InvalidOperationException($"kubectl kustomize {directory} failed ({process.ExitCode}): {await error}");
    }

    /// <summary>Our kustomize: enough of it for k8s/ and its components; anything else it meets is an error, not a silent skip.</summary>
    public static string RenderOwn(string directory)
    {
        var documents = Render(directory, component: false);
        var stream = new YamlStream([.. documents.Select(d => new YamlDocument(d))]);
        using var writer = new StringWriter();
        stream.Save(writer, assignAnchors: false);
        return writer.ToString();
    }

    private static List<YamlMappingNode> Render(string directory, bool component)
    {
        var kustomization = LoadSingle(Path.Combine(directory, "kustomization.yaml"));
        var expectedKind = component ? "Component" : "Kustomization";
        if (Scalar(kustomization, "kind") is { } kind && kind != expectedKind)
        {
            throw new NotSupportedException($"{directory}: kind {kind}, expected {expectedKind}");
        }

        var known = new HashSet<string>(StringComparer.Ordinal) { "apiVersion", "kind", "resources", "components", "namespace", "labels", "images", "patches" };
        foreach (var key in kustomization.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).Where(k => !known.Contains(k)))
        {
            throw new NotSupportedException($"{directory}/kustomization.yaml: '{key}' is not supported by this rendering");
        }

        var objects = new List<YamlMappingNode>();
        foreach (var resource in Sequence(kustomization, "resources"))
        {
            var path = Path.GetFullPath(Path.Combine(directory, resource));
            if (Directory.Exists(path))
            {
                objects.AddRange(Render(path, component: false));
            }
            else
            {
                objects.AddRange(LoadAll(path));
            }
        }

        foreach (var componentPath in Sequence(kustomization, "components"))
        {
            var path = Path.GetFullPath(Path.Combine(directory, componentPath));
            var componentKustomization = LoadSingle(Path.Combine(path, "kustomization.yaml"));
            foreach (var resource in Sequence(componentKustomization, "resources"))
            {
                objects.AddRange(LoadAll(Path.Combine(path, resource)));
            }

            ApplyPatches(objects, componentKustomization, path);
            foreach (var key in new[] { "namespace", "labels", "images", "components" }.Where(k => componentKustomization.Children.ContainsKey(new YamlScalarNode(k))))
            {
                throw new NotSupportedException($"{path}: '{key}' in a component is not supported by this rendering");
            }
        }

        ApplyPatches(objects, kustomization, directory);
        if (Scalar(kustomization, "namespace") is { } ns)
        {
            foreach (var o in objects)
            {
                if (!ClusterScoped.Contains(Scalar(o, "kind")!))
                {
                    Mapping(o, "metadata").Children[new YamlScalarNode("namespace")] = new YamlScalarNode(ns);
                }

                if (o.Children.TryGetValue(new YamlScalarNode("subjects"), out var subjects))
                {
                    foreach (var subject in ((YamlSequenceNode)subjects).Cast<YamlMappingNode>()
                                 .Where(s => Scalar(s, "kind") == "ServiceAccount" && !s.Children.ContainsKey(new YamlScalarNode("namespace"))))
                    {
                        subject.Children[new YamlScalarNode("namespace")] = new YamlScalarNode(ns);
                    }
                }
            }
        }

        if (kustomization.Children.TryGetValue(new YamlScalarNode("labels"), out var labels))
        {
            foreach (var entry in ((YamlSequenceNode)labels).Cast<YamlMappingNode>())
            {
                if (Scalar(entry, "includeSelectors") is not (null or "false") || entry.Children.ContainsKey(new YamlScalarNode("includeTemplates")))
                {
                    throw new NotSupportedException("labels: only pairs with includeSelectors: false are supported by this rendering");
                }

                foreach (var o in objects)
                {
                    var metadata = Mapping(o, "metadata");
                    if (!metadata.Children.TryGetValue(new YamlScalarNode("labels"), out var existing))
                    {
                        metadata.Children[new YamlScalarNode("labels")] = existing = new YamlMappingNode();
                    }

                    foreach (var (key, value) in Mapping(entry, "pairs").Children)
                    {
                        ((YamlMappingNode)existing).Children[key] = value;
                    }
                }
            }
        }

        foreach (var image in Sequence<YamlMappingNode>(kustomization, "images"))
        {
            var name = Scalar(image, "name")!;
            var tag = Scalar(image, "newTag") ?? throw new NotSupportedException("images: only newTag is supported by this rendering");
            foreach (var container in objects.SelectMany(Containers).Where(c => Scalar(c, "image") == name))
            {
                container.Children[new YamlScalarNode("image")] = new YamlScalarNode($"{name}:{tag}");
            }
        }

        return objects;
    }

    private static void ApplyPatches(List<YamlMappingNode> objects, YamlMappingNode kustomization, string directory)
    {
        foreach (var patch in Sequence<YamlMappingNode>(kustomization, "patches"))
        {
            var body = LoadSingleFromString(Scalar(patch, "patch") ?? throw new NotSupportedException($"{directory}: only inline patches are supported by this rendering"));
            if (Scalar(body, "$patch") != "delete")
            {
                throw new NotSupportedException($"{directory}: only '$patch: delete' patches are supported by this rendering");
            }

            var (kind, name) = (Scalar(body, "kind"), Scalar(Mapping(body, "metadata"), "name"));
            if (objects.RemoveAll(o => Scalar(o, "kind") == kind && Scalar(Mapping(o, "metadata"), "name") == name) == 0)
            {
                throw new InvalidOperationException($"{directory}: the patch deletes {kind} {name}, which is not there");
            }
        }
    }

    private static IEnumerable<YamlMappingNode> Containers(YamlMappingNode o) =>
        Walk(o, "spec", "template", "spec") is { } podSpec ? Sequence<YamlMappingNode>(podSpec, "containers") : [];

    private static YamlMappingNode? Walk(YamlMappingNode node, params string[] keys)
    {
        foreach (var key in keys)
        {
            if (!node.Children.TryGetValue(new YamlScalarNode(key), out var child) || child is not YamlMappingNode mapping)
            {
                return null;
            }

            node = mapping;
        }

        return node;
    }

    private static List<YamlMappingNode> LoadAll(string file)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(file)));
        return [.. stream.Documents.Select(d => d.RootNode).OfType<YamlMappingNode>()];
    }

    private static YamlMappingNode LoadSingle(string file) => LoadSingleFromString(File.ReadAllText(file));

    private static YamlMappingNode LoadSingleFromString(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return (YamlMappingNode)stream.Documents.Single().RootNode;
    }

    private static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? ((YamlScalarNode)value).Value : null;

    private static YamlMappingNode Mapping(YamlMappingNode node, string key) => (YamlMappingNode)node.Children[new YamlScalarNode(key)];

    private static IEnumerable<string> Sequence(YamlMappingNode node, string key) =>
        Sequence<YamlScalarNode>(node, key).Select(s => s.Value!);

    private static IEnumerable<T> Sequence<T>(YamlMappingNode node, string key)
        where T : YamlNode =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? ((YamlSequenceNode)value).Cast<T>() : [];

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);
}
