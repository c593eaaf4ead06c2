using System.Text;
using Orleans.Proxy.Routing;
using Orleans.Proxy.Translation.Files;
using Orleans.Proxy.Translation.Ingress;

namespace Orleans.Proxy.UnitTests.Hostile;

/// <summary>
/// Every hostile object of the corpus, read and converted as the file source does, next to known-good objects: no
/// exception, no stall (a generous guard, not a speed test), a rejection naming the object (or the file, when the input
/// is refused whole), and the good Ingress and HTTPRoute keep their routes.
/// </summary>
public sealed class HostileCorpusTests
{
    private static readonly TimeSpan StallGuard = TimeSpan.FromSeconds(60);

    public static TheoryData<string> CheckedIn()
    {
        var data = new TheoryData<string>();
        foreach (var part in new[] { "generated", "hand" })
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "Hostile", "corpus", part)).Order(StringComparer.Ordinal))
            {
                data.Add($"{part}/{Path.GetFileName(file)}");
            }
        }

        return data;
    }

    public static TheoryData<string> LargeCases() => [.. HostileCorpus.Large().Select(c => c.Name)];

    [Fact]
    public void Generated_CheckedInFiles_MatchTheGenerator()
    {
        var folder = HostileCorpus.SourceFolder("generated");
        if (Environment.GetEnvironmentVariable("UPDATE_CORPUS") == "1")
        {
            HostileCorpus.Write(folder);
        }

        var expected = HostileCorpus.Generated().ToDictionary(c => c.Name, c => c.Content, StringComparer.Ordinal);
        var actual = Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "Hostile", "corpus", "generated")).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes, StringComparer.Ordinal);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        Assert.All(expected, e => Assert.True(e.Value.AsSpan().SequenceEqual(actual[e.Key]), $"{e.Key} differs from the generator: run the tests with UPDATE_CORPUS=1"));
    }

    [Fact]
    public void Corpus_CheckedIn_HoldsAtLeast200Objects() =>
        Assert.True(CheckedIn().Count >= 200, $"the corpus holds {CheckedIn().Count} files");

    [Theory]
    [MemberData(nameof(CheckedIn))]
    public async Task Convert_CorpusFile_RefusedByNameWhileGoodRoutesServe(string file)
    {
        var content = await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "Hostile", "corpus", file));
        await AssertHandledAsync(Path.GetFileName(file), content, Expectation(content));
    }

    [Theory]
    [MemberData(nameof(LargeCases))]
    public async Task Convert_LargeCase_RefusedByNameWhileGoodRoutesServe(string name)
    {
        var corpusCase = HostileCorpus.Large().Single(c => c.Name == name);
        await AssertHandledAsync(name, corpusCase.Content, corpusCase.Expect);
    }

    /// <summary>Reads and converts under a guard: a stall fails the test instead of hanging the run.</summary>
    internal static async Task<DesiredState> ConvertAsync(string name, byte[] content)
    {
        var work = Task.Run(() =>
        {
            var good = KubernetesYamlReader.Read("good.yaml", HostileCorpus.Good);
            var hostile = KubernetesYamlReader.Read(name, content);
            var desired = IngressConverter.Convert(ClusterObjects.Combine([good.Objects, hostile.Objects]));
            return desired with { Rejections = [.. good.Rejections, .. hostile.Rejections, .. desired.Rejections] };
        });
        return await work.WaitAsync(StallGuard);
    }

    private static async Task AssertHandledAsync(string name, byte[] content, string expect)
    {
        var desired = await ConvertAsync(name, content);
        var rejections = desired.Rejections.Select(r => $"{r.Object} | {r.Field} | {r.Reason}").ToList();

        if (expect.StartsWith("rejected: ", StringComparison.Ordinal))
        {
            var named = expect["rejected: ".Length..];
            Assert.True(desired.Rejections.Any(r => r.Object.Contains(named, StringComparison.Ordinal)),
                $"no rejection names '{named}'; rejections:\n{string.Join("\n", rejections)}");
        }
        else
        {
            Assert.StartsWith("accepted ", expect, StringComparison.Ordinal);
            var host = expect["accepted ".Length..expect.IndexOf(':', StringComparison.Ordinal)];
            Assert.True(desired.Hosts.ContainsKey(host), $"{host} is not served; rejections:\n{string.Join("\n", rejections)}");
        }

        // Rejections reach logs, Events and terminals (the diag command): a hostile value must not carry its control characters there.
        Assert.DoesNotContain(desired.Rejections, r => $"{r.Object}{r.Field}{r.Reason}".Any(c => char.IsControl(c) || c is '\u2028' or '\u2029'));

        var good = desired.Hosts.GetValueOrDefault(HostileCorpus.GoodHost, []);
        Assert.Contains(good, r => r.Path == "/" && r.Source == "Ingress corpus/good");
        Assert.Contains(good, r => r.Path == "/admin" && r.Source == "Ingress corpus/good");
        Assert.Contains(desired.Hosts.GetValueOrDefault(HostileCorpus.GoodGatewayHost, []), r => r.Source.Contains("corpus/good-route", StringComparison.Ordinal));
        Assert.DoesNotContain(desired.Rejections, r => r.Object is "Ingress corpus/good" or "HTTPRoute corpus/good-route");
    }

    private static string Expectation(byte[] content)
    {
        var firstLine = Encoding.ASCII.GetString(content, 0, Math.Max(0, Array.IndexOf(content, (byte)'\n')));
        Assert.StartsWith("# expect: ", firstLine, StringComparison.Ordinal);
        return firstLine["# expect: ".Length..];
    }
}
