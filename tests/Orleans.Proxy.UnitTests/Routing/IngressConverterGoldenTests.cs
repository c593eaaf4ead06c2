using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Orleans.Proxy.Translation.Files;
using Orleans.Proxy.Silo.RouteSources.Files;
using Orleans.Proxy.Translation.Annotations;
using Orleans.Proxy.Translation.Ingress;
using Orleans.Proxy.Silo.Publishing;

namespace Orleans.Proxy.UnitTests.Routing;

/// <summary>
/// Every folder under golden/ is a case: input.yaml converted by the file source's reader and the
/// converter must give expected.json. UPDATE_GOLDEN=1 rewrites the expected files in the source tree
/// (then read each diff before committing it).
/// </summary>
public sealed class IngressConverterGoldenTests
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DictionaryKeyPolicy = null,
        Converters = { new JsonStringEnumConverter() },
    };

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var folder in Directory.EnumerateDirectories(Path.Combine(AppContext.BaseDirectory, "Routing", "golden")).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(folder));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Convert_GoldenCase_MatchesExpectedJson(string name)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "Routing", "golden", name);
        var read = KubernetesYamlReader.Read("input.yaml", File.ReadAllText(Path.Combine(folder, "input.yaml")));
        var desired = IngressConverter.Convert(read.Objects);
        desired = desired with { Rejections = [.. read.Rejections, .. desired.Rejections] };
        var actual = JsonSerializer.Serialize(desired, Json).ReplaceLineEndings("\n") + "\n";

        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(Path.Combine(SourceFolder(), name, "expected.json"), actual);
            return;
        }

        var expectedFile = Path.Combine(folder, "expected.json");
        Assert.True(File.Exists(expectedFile), $"{name}/expected.json is missing: run the tests with UPDATE_GOLDEN=1 and read it");
        Assert.Equal(File.ReadAllText(expectedFile).ReplaceLineEndings("\n"), actual);
    }

    private static string SourceFolder([CallerFilePath] string thisFile = "") =>
        Path.Combine(Path.GetDirectoryName(thisFile)!, "golden");
}
