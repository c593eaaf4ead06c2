using System.Runtime.CompilerServices;
using Orleans.Proxy.Translation.Settings;

namespace Orleans.Proxy.UnitTests.Translation.Settings;

/// <summary>docs/configmap.md is rendered from the ConfigMap key table; UPDATE_DOCS=1 rewrites it in the source tree.</summary>
public sealed class ControllerConfigReferenceTests
{
    [Fact]
    public void Render_Table_MatchesTheCommittedReference()
    {
        var file = Path.Combine(RepositoryRoot(), ControllerConfigReference.Path);
        var rendered = ControllerConfigReference.Render();

        if (Environment.GetEnvironmentVariable("UPDATE_DOCS") == "1")
        {
            File.WriteAllText(file, rendered);
            return;
        }

        Assert.True(File.Exists(file), $"{ControllerConfigReference.Path} is missing: run {ControllerConfigReference.Regenerate}");
        Assert.True(File.ReadAllText(file).ReplaceLineEndings("\n") == rendered,
            $"{ControllerConfigReference.Path} differs from the ConfigMap key table: run {ControllerConfigReference.Regenerate} and read the diff");
    }

    [Fact]
    public void Render_EveryKey_OneRow()
    {
        var rows = ControllerConfigReference.Render().Split('\n').Where(l => l.StartsWith("| `", StringComparison.Ordinal)).ToList();

        Assert.Equal(ControllerConfigTable.All.Length, rows.Count);
        Assert.Contains(rows, r => r.StartsWith("| `allow-snippet-annotations` |", StringComparison.Ordinal) && r.Contains("| refused |", StringComparison.Ordinal));
        Assert.Contains(rows, r => r.StartsWith("| `hsts` |", StringComparison.Ordinal) && r.Contains("| honoured with differences |", StringComparison.Ordinal));
    }

    private static string RepositoryRoot([CallerFilePath] string thisFile = "")
    {
        var folder = new DirectoryInfo(Path.GetDirectoryName(thisFile)!);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "Orleans.Proxy.sln")))
        {
            folder = folder.Parent;
        }

        Assert.NotNull(folder);
        return folder.FullName;
    }
}
