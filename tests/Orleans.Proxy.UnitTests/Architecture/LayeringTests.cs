using System.Reflection;
using System.Text.Json;
using Orleans.Proxy.Edge.Hosting;
using Orleans.Proxy.Translation.Ingress;

namespace Orleans.Proxy.UnitTests.Architecture;

/// <summary>DESIGN.md's components table, checked on what the build produced, not only on direct references.</summary>
public sealed class LayeringTests
{
    private static readonly string[] StateWriters = ["Orleans.Proxy.Silo", "Orleans.Proxy.Grains", "Orleans.Proxy.Translation", "Orleans.Proxy.Embedded"];

    [Fact]
    public void EdgeAssembly_TransitiveReferences_ReachNoSiloNoGrainsNoOrleansRuntime()
    {
        var reachable = Closure(typeof(EdgeOptions).Assembly);

        Assert.Contains("Orleans.Proxy.GrainInterfaces", reachable);
        Assert.Contains("Orleans.Proxy.Hosting", reachable);
        Assert.All(StateWriters.Append("Orleans.Runtime"), name => Assert.DoesNotContain(name, reachable));
    }

    [Fact]
    public void EdgeBuildOutput_CarriesNoSiloAndNoGrainImplementation()
    {
        var output = OutputOf("edge", "Orleans.Proxy.Edge");
        var projects = ProjectLibraries(Path.Combine(output, "Orleans.Proxy.Edge.deps.json"));

        Assert.Equal(["Orleans.Proxy.Edge", "Orleans.Proxy.GrainInterfaces", "Orleans.Proxy.Hosting"], projects);
        Assert.All(StateWriters, name => Assert.False(File.Exists(Path.Combine(output, name + ".dll")), $"{name}.dll is in the edge's output"));
        Assert.False(File.Exists(Path.Combine(output, "Orleans.Runtime.dll")), "the Orleans silo runtime is in the edge's output");
    }

    [Fact]
    public void TranslationAssembly_References_OnlyTheRouteModelKubernetesModelsAndTheFramework()
    {
        var referenced = typeof(IngressConverter).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();

        Assert.All(referenced, name => Assert.True(
            // Orleans.Serialization*: the code generator's metadata for the route model's records, not a runtime.
            name is "Orleans.Proxy.GrainInterfaces" or "KubernetesClient" or "YamlDotNet" or "Orleans.Serialization" or "Orleans.Serialization.Abstractions"
            || name.StartsWith("System", StringComparison.Ordinal) || name == "netstandard",
            $"translation references {name}: it must stay pure (no Orleans client or runtime, no hosting)"));
    }

    [Fact]
    public void GrainInterfacesAssembly_References_OnlyOrleansAndTheFramework()
    {
        var referenced = typeof(Orleans.Proxy.Routing.IRouteCatalogGrain).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();

        Assert.All(referenced, name => Assert.True(
            name.StartsWith("Orleans.", StringComparison.Ordinal) && !name.StartsWith("Orleans.Proxy.", StringComparison.Ordinal)
            || name.StartsWith("System", StringComparison.Ordinal) || name.StartsWith("Microsoft.", StringComparison.Ordinal),
            $"grain-interfaces references {name}"));
    }

    /// <summary>Every assembly reachable through references, loaded from this test's output.</summary>
    private static HashSet<string> Closure(Assembly root)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal) { root.GetName().Name! };
        var pending = new Stack<Assembly>([root]);
        while (pending.TryPop(out var assembly))
        {
            foreach (var reference in assembly.GetReferencedAssemblies())
            {
                if (reference.Name is { } name && !name.StartsWith("System", StringComparison.Ordinal) && seen.Add(name))
                {
                    try
                    {
                        pending.Push(Assembly.Load(reference));
                    }
                    catch (FileNotFoundException)
                    {
                        // Framework facades not deployed beside the tests: not ours, nothing to follow.
                    }
                }
            }
        }

        return seen;
    }

    /// <summary>The project's own build output for the configuration these tests were built in.</summary>
    private static string OutputOf(string folder, string assembly)
    {
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory);
        var configuration = testOutput.Parent!.Name;
        var root = testOutput;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Orleans.Proxy.sln")))
        {
            root = root.Parent;
        }

        Assert.NotNull(root);
        var output = Path.Combine(root.FullName, folder, "bin", configuration, testOutput.Name);
        Assert.True(File.Exists(Path.Combine(output, assembly + ".dll")), $"{assembly} was not built at {output}");
        return output;
    }

    private static List<string> ProjectLibraries(string depsJson)
    {
        using var deps = JsonDocument.Parse(File.ReadAllText(depsJson));
        return [.. deps.RootElement.GetProperty("libraries").EnumerateObject()
            .Where(l => l.Value.GetProperty("type").GetString() == "project")
            .Select(l => l.Name.Split('/')[0])
            .Order(StringComparer.Ordinal)];
    }
}
