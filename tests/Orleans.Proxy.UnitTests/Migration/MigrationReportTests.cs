using System.Runtime.CompilerServices;
using Orleans.Proxy.Silo.Migration;
using Orleans.Proxy.Translation.Files;
using Orleans.Proxy.Translation.Ingress;
using Orleans.Proxy.Translation.Migration;

namespace Orleans.Proxy.UnitTests.Migration;

/// <summary>
/// The migration report on a corpus of Ingresses in the shapes ingress-nginx's examples use, pinned by a
/// golden file (UPDATE_GOLDEN=1 rewrites it: read the diff before committing it).
/// </summary>
public sealed class MigrationReportTests
{
    private static string Folder(string name, [CallerFilePath] string thisFile = "") => Path.Combine(Path.GetDirectoryName(thisFile)!, name);

    [Fact]
    public async Task Migrate_Corpus_PrintsTheGoldenReport_AndExitsOneSinceSomethingWouldBeLost()
    {
        using var output = new StringWriter();

        var exit = await MigrationCommand.RunAsync([Folder("corpus")], output);

        var golden = Folder("corpus.golden.txt");
        var report = output.ToString().ReplaceLineEndings("\n");
        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1")
        {
            await File.WriteAllTextAsync(golden, report);
        }

        Assert.Equal(1, exit);
        Assert.True(File.ReadAllText(golden).ReplaceLineEndings("\n") == report, $"the report differs from {golden}: run UPDATE_GOLDEN=1 dotnet test tests/Orleans.Proxy.UnitTests --filter MigrationReport and read the diff");
    }

    [Fact]
    public void Build_Corpus_AtLeastThirtyIngresses_EachOutcomeSeen_NoEffectAloneLosesNothing()
    {
        var objects = ClusterObjects.Combine(Directory.EnumerateFiles(Folder("corpus"), "*.yaml").Select(f => KubernetesYamlReader.Read(f, File.ReadAllText(f)).Objects));

        var entries = MigrationReport.Build(objects);

        Assert.True(objects.Ingresses.Length >= 30);
        Assert.Equal(objects.Ingresses.Length + 1, entries.Length);
        Assert.All(Enum.GetValues<MigrationOutcome>(), o => Assert.Contains(entries, e => e.Items.Any(i => i.Outcome == o)));
        var fanout = Assert.Single(entries, e => e.Object == "Ingress shop/fanout");
        Assert.Equal((2, false), (fanout.Routes, fanout.LosesSomething));
        Assert.All(fanout.Items, i => Assert.Equal(MigrationOutcome.NoEffect, i.Outcome));
        // A canary's own settings are ignored as ingress-nginx ignores them: no effect, not lost; its route is the main one's.
        var canary = Assert.Single(entries, e => e.Object == "Ingress shop/canary-by-weight");
        Assert.Equal((1, false), (canary.Routes, canary.LosesSomething));
        Assert.Contains(canary.Items, i => i is { Name: "nginx.ingress.kubernetes.io/proxy-body-size", Outcome: MigrationOutcome.NoEffect });
        // A source range that does not parse refuses the Ingress: it would widen access.
        var typo = Assert.Single(entries, e => e.Object == "Ingress infra/typo-in-range");
        Assert.Equal((0, true), (typo.Routes, typo.LosesSomething));
        Assert.Contains("Service shop/admin", Assert.Single(entries, e => e.Object == "Ingress shop/forwarded-prefix").Assumed);
    }

    [Fact]
    public async Task Migrate_NothingLost_ExitsZero()
    {
        using var output = new StringWriter();

        var exit = await MigrationCommand.RunAsync([Folder("clean")], output);

        Assert.Equal(0, exit);
        Assert.EndsWith("Summary: 2 Ingresses, 2 carry over (1 with differences), 0 objects lose something; annotations and keys: 0 carry over, 2 differ, 1 no effect, 0 refused, 0 not yet, 0 rejected\n", output.ToString().ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_FileNotUtf8_ReportedByItsByteAsTheFileSourceWould()
    {
        var folder = Directory.CreateTempSubdirectory("migrate-");
        try
        {
            File.WriteAllBytes(Path.Combine(folder.FullName, "bad.yaml"), [.. "kind: Ingress\nmetadata:\n  name: caf"u8, 0xE9, .. "\n"u8]);
            using var output = new StringWriter();

            var exit = await MigrationCommand.RunAsync([folder.FullName], output);

            Assert.Equal(1, exit);
            Assert.Contains("input bad.yaml: byte 35: the input is not valid UTF-8", output.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData(2, new string[0])]
    [InlineData(2, new[] { "a", "b" })]
    [InlineData(2, new[] { "--api-server" })]
    [InlineData(3, new[] { "no-such-folder-here" })]
    public async Task Migrate_BadArgumentsOrInput_ExitsTwoOrThree(int expected, string[] args)
    {
        using var output = new StringWriter();

        Assert.Equal(expected, await MigrationCommand.RunAsync(args, output));
    }
}
