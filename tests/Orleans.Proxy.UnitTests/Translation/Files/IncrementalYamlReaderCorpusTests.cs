using System.Runtime.CompilerServices;
using System.Text;
using Orleans.Proxy.Translation.Files;
using Orleans.Proxy.Translation.Ingress;
using Orleans.Proxy.UnitTests.Hostile;
using static Orleans.Proxy.UnitTests.Translation.Files.Readings;

namespace Orleans.Proxy.UnitTests.Translation.Files;

/// <summary>
/// The incremental reading is the whole file's reading, objects, rejections and their lines included: for every file of the
/// golden, hostile and migration corpora, read first and then with each of its documents edited in turn; and for one file
/// of every corpus document that reads, edited again and again.
/// </summary>
public sealed class IncrementalYamlReaderCorpusTests
{
    public static TheoryData<string> CorpusFiles() => [.. Corpora().Select(f => Path.GetRelativePath(TestsFolder(), f))];

    public static TheoryData<string> LargeCases() => HostileCorpusTests.LargeCases();

    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public void Read_CorpusFileAndEachDocumentEdited_ReadsAsTheWholeFile(string file)
    {
        var content = File.ReadAllBytes(Path.Combine(TestsFolder(), file));
        var reader = new IncrementalYamlReader();
        ReadAsWhole(reader, file, content);

        foreach (var edited in Edits(content))
        {
            ReadAsWhole(reader, file, edited);
            ReadAsWhole(reader, file, content);
        }
    }

    [Theory]
    [MemberData(nameof(LargeCases))]
    public void Read_LargeCorpusCase_ReadsAsTheWholeFile(string name)
    {
        ReadAsWhole(new IncrementalYamlReader(), name, HostileCorpus.Large().Single(c => c.Name == name).Content);
    }

    [Fact]
    public void Read_EveryDocumentThatReadsInOneFileEditedAgainAndAgain_ReadsAsTheWholeFile()
    {
        var documents = Corpora()
            .Select(File.ReadAllBytes)
            .Where(c => !ReferenceEquals(KubernetesYamlReader.Read("f.yaml", c).Objects, ClusterObjects.Empty))
            .Select(c => KubernetesYamlReader.Decode(c).Text!)
            .SelectMany(Documents)
            .ToList();
        var random = new Random(20_250_101);
        var file = documents.ToList();
        var reader = new IncrementalYamlReader();
        ReadAsWhole(reader, "all.yaml", Utf8(file));

        for (var edit = 0; edit < 60; edit++)
        {
            var at = random.Next(file.Count);
            switch (random.Next(6))
            {
                case 0:
                    file[at] = documents[random.Next(documents.Count)];
                    break;
                case 1:
                    file.RemoveAt(at);
                    break;
                case 2:
                    file.Insert(at, file[random.Next(file.Count)]);
                    break;
                case 3:
                    (file[at], file[^1]) = (file[^1], file[at]);
                    break;
                case 4:
                    file[at] = Edited(file[at]);
                    break;
                default:
                    file = [.. file.Select(d => d.ReplaceLineEndings(random.Next(2) == 0 ? "\r\n" : "\n"))];
                    break;
            }

            ReadAsWhole(reader, "all.yaml", Utf8(file));
        }
    }

    /// <summary>The content with each of its documents edited in turn (a comment after its first line, then written twice).</summary>
    private static IEnumerable<byte[]> Edits(byte[] content)
    {
        if (KubernetesYamlReader.Decode(content).Text is not { } yaml)
        {
            yield return [.. "# edited\n"u8, .. content];
            yield break;
        }

        var documents = Documents(yaml);
        byte[] bom = content.AsSpan().StartsWith(Encoding.UTF8.Preamble) ? [.. Encoding.UTF8.Preamble] : [];
        for (var i = 0; i < documents.Count; i++)
        {
            yield return [.. bom, .. Utf8([.. documents[..i], Edited(documents[i]), .. documents[(i + 1)..]])];
            yield return [.. bom, .. Utf8([.. documents[..(i + 1)], .. documents[i..]])];
        }
    }

    private static List<string> Documents(string yaml)
    {
        var documents = DocumentTexts.Split(yaml).ConvertAll(t => yaml.Substring(t.Start, t.Length));
        // Joined again, a document without a line break at its end would run into the next one's "---".
        documents[^1] = documents[^1].EndsWith('\n') ? documents[^1] : documents[^1] + "\n";
        return documents;
    }

    private static string Edited(string document)
    {
        var end = document.IndexOf('\n', StringComparison.Ordinal);
        return end < 0 ? document + "\n# edited\n" : document.Insert(end + 1, "# edited\n");
    }

    private static byte[] Utf8(List<string> documents) => Encoding.UTF8.GetBytes(string.Concat(documents));

    private static IEnumerable<string> Corpora() =>
        new[] { Path.Combine("Routing", "golden"), Path.Combine("Hostile", "corpus"), Path.Combine("Migration", "corpus") }
            .SelectMany(folder => Directory.EnumerateFiles(Path.Combine(TestsFolder(), folder), "*.yaml", SearchOption.AllDirectories))
            .Order(StringComparer.Ordinal);

    private static string TestsFolder([CallerFilePath] string thisFile = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile)!, "..", ".."));
}
