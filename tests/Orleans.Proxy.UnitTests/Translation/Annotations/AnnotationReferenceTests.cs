using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Orleans.Proxy.Translation.Annotations;

namespace Orleans.Proxy.UnitTests.Translation.Annotations;

/// <summary>
/// docs/annotations.md is rendered from the annotation table; UPDATE_DOCS=1 rewrites it in the
/// source tree (then read the diff before committing it).
/// </summary>
public sealed partial class AnnotationReferenceTests
{
    [Fact]
    public void Render_Table_MatchesTheCommittedReference()
    {
        var file = Path.Combine(RepositoryRoot(), AnnotationReference.Path);
        var rendered = AnnotationReference.Render();

        if (Environment.GetEnvironmentVariable("UPDATE_DOCS") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, rendered);
            return;
        }

        Assert.True(File.Exists(file), $"{AnnotationReference.Path} is missing: run {AnnotationReference.Regenerate}");
        Assert.True(
            File.ReadAllText(file).ReplaceLineEndings("\n") == rendered,
            $"{AnnotationReference.Path} differs from the annotation table: run {AnnotationReference.Regenerate} and read the diff");
    }

    [Fact]
    public void Render_Header_PrintsTheCountOfHonouredIngressNginxAnnotations()
    {
        var headline = Headline().Match(AnnotationReference.Render());

        Assert.True(headline.Success, "the reference prints no count of honoured ingress-nginx annotations");
        Assert.Equal(AnnotationTable.HonouredNginxCount, int.Parse(headline.Groups["honoured"].Value, CultureInfo.InvariantCulture));
        Assert.Equal(AnnotationTable.All.Count(a => a.Origin == AnnotationOrigin.IngressNginx), int.Parse(headline.Groups["total"].Value, CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Render_EveryAnnotation_OneRowWithItsOriginAndStatus()
    {
        var rows = AnnotationReference.Render().Split('\n').Where(l => l.StartsWith("| `", StringComparison.Ordinal)).ToList();

        Assert.Equal(AnnotationTable.All.Length, rows.Count);
        Assert.All(AnnotationTable.All, a => Assert.Single(rows, r => r.StartsWith($"| `{a.Name}` |", StringComparison.Ordinal)));
        Assert.Contains(rows, r => r.StartsWith("| `nginx.ingress.kubernetes.io/configuration-snippet` |", StringComparison.Ordinal) && r.Contains("| ingress-nginx | refused |", StringComparison.Ordinal));
        Assert.Contains(rows, r => r.StartsWith("| `orleans-proxy.io/health-check-interval` |", StringComparison.Ordinal) && r.Contains("| 10s |", StringComparison.Ordinal) && r.Contains("| ours | honoured |", StringComparison.Ordinal));
    }

    [GeneratedRegex(@"\*\*(?<honoured>\d+) of the (?<total>\d+) ingress-nginx annotations listed here are honoured\*\*")]
    private static partial Regex Headline();

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
