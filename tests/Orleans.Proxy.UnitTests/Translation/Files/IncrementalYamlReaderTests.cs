using System.Text;
using Orleans.Proxy.Routing;
using Orleans.Proxy.Translation.Files;
using static Orleans.Proxy.UnitTests.Translation.Files.Readings;

namespace Orleans.Proxy.UnitTests.Translation.Files;

public sealed class IncrementalYamlReaderTests
{
    [Fact]
    public void Read_SameContent_SameResultNothingParsed()
    {
        var reader = new IncrementalYamlReader();
        var first = reader.Read("f.yaml", Utf8(Services(5)));

        Assert.Same(first, reader.Read("f.yaml", Utf8(Services(5))));
        Assert.Equal((0, 5), reader.LastRead);
    }

    [Fact]
    public void Read_OneDocumentChanged_ParsesOnlyItAndKeepsTheOthersObjects()
    {
        var (reader, before, after) = ReadThenRead(Services(5), Services(5).Replace("port: 82", "port: 8082", StringComparison.Ordinal));

        Assert.Equal((1, 5), reader.LastRead);
        Assert.Equal(8082, after.Objects.Services[2].Spec.Ports[0].Port);
        Assert.All([0, 1, 3, 4], i => Assert.Same(before.Objects.Services[i], after.Objects.Services[i]));
    }

    [Fact]
    public void Read_DocumentsAddedRemovedAndMoved_ParsesOnlyNewTexts()
    {
        var (reader, _, _) = ReadThenRead(Services(4), Service(3) + Service(0) + Service(9) + Service(2));

        Assert.Equal((1, 4), reader.LastRead);
    }

    [Fact]
    public void Read_LinesAddedAboveARejection_RejectionNamesItsLineInTheFile()
    {
        var yaml = Services(2) + "---\napiVersion: networking.k8s.io/v1beta1\nkind: Ingress\nmetadata: {name: old, namespace: ns}\n";

        var (reader, _, after) = ReadThenRead(yaml, "# two lines\n# above\n" + yaml);

        // The comment lines are a text of their own, parsed; the Ingress's text is not parsed again.
        Assert.Equal((1, 4), reader.LastRead);
        Assert.Equal("Ingress ns/old (f.yaml, line 16)", Assert.Single(after.Rejections).Object);
        Assert.Equal("Ingress ns/old", Assert.Single(after.Refused));
    }

    [Fact]
    public void Read_CommentEdited_ParsesTheDocumentAndKeepsItsObject()
    {
        var (reader, before, after) = ReadThenRead(Services(3), Services(3).Replace("name: s1,", "name: s1, # edited\n  ", StringComparison.Ordinal));

        Assert.Equal((1, 3), reader.LastRead);
        Assert.Same(before.Objects.Services[1], after.Objects.Services[1]);
    }

    [Fact]
    public void Read_TwoEqualDocuments_StayTwoObjects()
    {
        var (reader, before, after) = ReadThenRead(Service(1), Service(1) + Service(1));

        Assert.Equal((1, 2), reader.LastRead);
        Assert.Same(before.Objects.Services[0], after.Objects.Services[0]);
        Assert.NotSame(after.Objects.Services[0], after.Objects.Services[1]);
    }

    [Theory]
    [InlineData("first document without a marker")]
    [InlineData("document end markers")]
    [InlineData("CRLF")]
    [InlineData("byte order mark")]
    public void Read_OneDocumentChanged_ParsesOnlyIt(string shape)
    {
        var yaml = shape switch
        {
            "first document without a marker" => Services(3)[4..],
            "document end markers" => Services(3).Replace("\n---", "\n...\n# between\n---", StringComparison.Ordinal) + "...\n",
            "CRLF" => Services(3).ReplaceLineEndings("\r\n"),
            _ => "\uFEFF" + Services(3),
        };

        var (reader, _, after) = ReadThenRead(yaml, yaml.Replace("port: 81", "port: 91", StringComparison.Ordinal));

        Assert.Equal((1, 3), reader.LastRead);
        Assert.Equal(91, after.Objects.Services[1].Spec.Ports[0].Port);
    }

    [Fact]
    public void Read_MarkersInScalarsAndComments_ReadAsTheWholeFile()
    {
        var yaml = Services(1) + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: ns}\ndata:\n  block: |\n    ---\n    x\n"
            + "  quoted: \"a\n    --- b\"\n  plain: a\n    --- b\n# ---\n--- # the next document\n" + Service(7)[4..];

        var (reader, _, after) = ReadThenRead(yaml, yaml.Replace("port: 87", "port: 97", StringComparison.Ordinal));

        Assert.Equal((1, 3), reader.LastRead);
        Assert.Equal("---\nx\n", after.Objects.ConfigMaps[0].Data["block"]);
    }

    [Fact]
    public void Read_BlockScalarAtADocumentRoot_ReadWholeAsYamlDotNetTakesTheMarkersAfterIt()
    {
        var read = ReadWhole("--- |\nnot a manifest\n" + Services(2));

        Assert.Equal(["s1"], read.Objects.Services.Select(s => s.Metadata.Name));
    }

    [Fact]
    public void Read_ColonStartingTheFirstPlainScalarAfterAFlowCollection_ReadWholeAsYamlDotNetDropsTheColon()
    {
        // Every scalar before ":x" is quoted: the scanner still holds that the Service's last token closed a flow collection.
        var colon = "---\n\"apiVersion\": \"v1\"\n\"kind\": \"ConfigMap\"\n\"metadata\":\n  \"name\": \"c\"\n  \"namespace\": \"ns\"\n\"data\":\n  :x: \"1\"\n";

        var read = ReadWhole(Service(0) + colon);

        Assert.Equal("x", Assert.Single(read.Objects.ConfigMaps[0].Data.Keys));
    }

    [Theory]
    [InlineData("---\n{apiVersion: v1, kind: Service, metadata: {name: f, namespace: ns}}\n")]
    [InlineData("...\n%YAML 1.2\n---\napiVersion: v1\nkind: Service\nmetadata: {name: d, namespace: ns}\n")]
    public void Read_FlowMappingAfterAFlowCollectionOrDirective_ReadWhole(string document)
    {
        ReadWhole(Services(2) + document);
    }

    [Fact]
    public void Read_DocumentThatDoesNotParse_RefusedAsTheWholeFileThenFixedParsingOnlyIt()
    {
        var reader = new IncrementalYamlReader();
        var yaml = Services(3);
        reader.Read("f.yaml", Utf8(yaml));

        var broken = ReadAsWhole(reader, "f.yaml", Utf8(yaml.Replace("port: 81}]", "port: 81}", StringComparison.Ordinal)));
        ReadAsWhole(reader, "f.yaml", Utf8(yaml.Replace("port: 81", "port: 91", StringComparison.Ordinal)));

        Assert.Equal("f.yaml", Assert.Single(broken.Rejections).Object);
        // Where the file's parser finds the unclosed sequence: the next document's "---", not the end of the broken document's text.
        Assert.Equal("line 13, column 1", broken.Rejections[0].Field);
        Assert.Equal((1, 3), reader.LastRead);
    }

    [Fact]
    public void Read_InvalidUtf8InALaterDocument_RefusedNamingTheByteInTheFile()
    {
        var reader = new IncrementalYamlReader();
        var yaml = Utf8(Services(3));
        reader.Read("f.yaml", yaml);
        var at = Encoding.UTF8.GetByteCount(Services(3)[..Services(3).IndexOf("s2", StringComparison.Ordinal)]);

        var read = reader.Read("f.yaml", [.. yaml[..at], 0xC3, 0x28, .. yaml[at..]]);

        Assert.Equal(new Rejection("f.yaml", $"byte {at}", "the input is not valid UTF-8"), Assert.Single(read.Rejections));
    }

    [Fact]
    public void Read_NodesOverTheLimitAcrossDocuments_RefusedCountingUnchangedDocuments()
    {
        var reader = new IncrementalYamlReader();
        // Each document counts 23,470 nodes, its aliases expanded: 80 of them are within the limit, 90 are not.
        var documents = Enumerable.Range(0, 90).Select(i => $"---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}}}\nl0: &l0 [x]\nl1: &l1 [{Repeat("*l0")}]\n"
            + $"l2: &l2 [{Repeat("*l1")}]\nl3: &l3 [{Repeat("*l2")}]\nl4: [{Repeat("*l3")}]\n").ToList();
        ReadAsWhole(reader, "f.yaml", Utf8(string.Concat(documents.Take(80))));
        Assert.Equal((80, 80), reader.LastRead);

        var read = ReadAsWhole(reader, "f.yaml", Utf8(string.Concat(documents)));

        Assert.Contains("more than 2000000 nodes", Assert.Single(read.Rejections).Reason, StringComparison.Ordinal);
        // Scanning stops at the sixth new document, over the limit with the 80 kept; the file is then read whole, as the refusal names it.
        Assert.Equal((6 + 1, 1), reader.LastRead);

        static string Repeat(string alias) => string.Join(",", Enumerable.Repeat(alias, 10));
    }

    [Fact]
    public void Read_TrickyDocumentsInRandomOrderAndEdited_ReadsAsTheWholeFile()
    {
        var random = new Random(7);
        for (var file = 0; file < 300; file++)
        {
            var documents = Enumerable.Range(0, random.Next(2, 7)).Select(_ => Tricky[random.Next(Tricky.Length)]).ToList();
            if (random.Next(3) == 0)
            {
                documents[0] = documents[0].StartsWith("---\n", StringComparison.Ordinal) ? documents[0][4..] : documents[0];
            }

            var reader = new IncrementalYamlReader();
            ReadAsWhole(reader, "f.yaml", Utf8(string.Concat(documents)));
            documents[random.Next(documents.Count)] = Tricky[random.Next(Tricky.Length)];
            ReadAsWhole(reader, "f.yaml", Utf8(string.Concat(documents)));
        }
    }

    /// <summary>Documents where a reader splitting at "---" lines could go wrong, each a ConfigMap when it reads so that a difference shows.</summary>
    private static readonly string[] Tricky =
    [
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: block, namespace: ns}\ndata:\n  a: |\n    ---\n    x\n",
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: flow-end\n  namespace: ns\ndata: {a: \"1\"}\n",
        "---\n\"apiVersion\": \"v1\"\n\"kind\": \"ConfigMap\"\n\"metadata\":\n  \"name\": \"colon\"\n  \"namespace\": \"ns\"\n\"data\":\n  :x: \"1\"\n",
        "--- |\nroot block scalar\n",
        "--- >\n  folded root\n",
        "--- |\nroot block scalar\n...\n",
        "--- {apiVersion: v1, kind: ConfigMap, metadata: {name: flow, namespace: ns}, data: {\"a\": b}}\n",
        "---\n{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"json\",\"namespace\":\"ns\"},\"data\":{\"a\":\"b\"}}\n",
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: ended, namespace: ns}\n...\n# after the end\n",
        "...\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: bare, namespace: ns}\n",
        "---\n",
        "--- # a comment\n# only comments\n",
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain, namespace: ns}\ndata:\n  a: multi\n    line\n",
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: quoted, namespace: ns}\ndata:\n  a: \"multi\n    line\"\n",
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: &m {name: anchored, namespace: ns}\ndata: {a: b}\nx: *m\n",
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: alias, namespace: ns}\ndata:\n  a: *m\n",
        "---\na: [b\nc: d\n",
        "---\napiVersion:\tv1\nkind: ConfigMap\nmetadata: {name: tab, namespace: ns}\n",
        "---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: listed, namespace: ns}\n",
        "---\n- a\n- b\n",
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: kept, namespace: ns}\ndata:\n  a: |+\n    x\n\n\n",
        "--- !!map\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: tagged, namespace: ns}\n",
        "---\r\napiVersion: v1\r\nkind: ConfigMap\r\nmetadata: {name: crlf, namespace: ns}\r\n",
        "--- plain root\ncontinued\n",
        "...\n%YAML 1.2\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: directive, namespace: ns}\n",
        "---\napiVersion: networking.k8s.io/v1beta1\nkind: Ingress\nmetadata: {name: old, namespace: ns}\n",
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: dup, namespace: ns}\nmetadata: {name: dup2}\n",
    ];

    /// <summary>Reads <paramref name="yaml"/> and then <paramref name="edited"/> with one reader, each as the whole file reads; a leading U+FEFF is written as a byte order mark.</summary>
    private static (IncrementalYamlReader Reader, KubernetesYamlReader.Result Before, KubernetesYamlReader.Result After) ReadThenRead(string yaml, string edited)
    {
        var reader = new IncrementalYamlReader();
        var before = ReadAsWhole(reader, "f.yaml", Utf8(yaml));
        return (reader, before, ReadAsWhole(reader, "f.yaml", Utf8(edited)));
    }

    /// <summary>Reads <paramref name="yaml"/>, which the reader must read whole, as the whole file reads.</summary>
    private static KubernetesYamlReader.Result ReadWhole(string yaml)
    {
        var reader = new IncrementalYamlReader();
        var read = ReadAsWhole(reader, "f.yaml", Utf8(yaml));
        Assert.Equal(1, reader.LastRead.Texts);
        return read;
    }

    private static byte[] Utf8(string yaml) => yaml.StartsWith('\uFEFF') ? [.. Encoding.UTF8.Preamble, .. Encoding.UTF8.GetBytes(yaml[1..])] : Encoding.UTF8.GetBytes(yaml);

    private static string Services(int count) => string.Concat(Enumerable.Range(0, count).Select(Service));

    private static string Service(int i) =>
        $"---\napiVersion: v1\nkind: Service\nmetadata: {{name: s{i}, namespace: ns}}\nspec:\n  ports: [{{name: http, port: {80 + i}}}]\n";
}
