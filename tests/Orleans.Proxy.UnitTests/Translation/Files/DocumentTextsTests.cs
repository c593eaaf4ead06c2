using Orleans.Proxy.Translation.Files;

namespace Orleans.Proxy.UnitTests.Translation.Files;

public sealed class DocumentTextsTests
{
    [Fact]
    public void Split_FirstDocumentWithoutMarker_IsTheFirstText()
    {
        Assert.Equal(["a: 1\n", "---\nb: 2\n", "--- \nc: 3\n", "---\t# d\nd: 4"], Texts("a: 1\n---\nb: 2\n--- \nc: 3\n---\t# d\nd: 4"));
    }

    [Fact]
    public void Split_FileStartsWithMarker_NoEmptyText()
    {
        Assert.Equal(["---\na: 1\n", "---\n", "---"], Texts("---\na: 1\n---\n---"));
    }

    [Fact]
    public void Split_LinesBefore_CountedPerText()
    {
        Assert.Equal([0, 2, 5], DocumentTexts.Split("a: 1\nb: 2\n---\nc: |\n  x\n--- {d: 4}\n").Select(t => t.Line));
    }

    [Theory]
    [InlineData("a: 1\n---a: 2\n")]
    [InlineData("a: 1\n----\n")]
    [InlineData("a: 1\n ---\n")]
    [InlineData("a: |\n  x\n  ---\n")]
    [InlineData("a: \"x\n  --- y\"\n")]
    [InlineData("a: 1\n# ---\n")]
    [InlineData("a: 1 # ---\n")]
    [InlineData("\uFEFF---\na: 1\n")]
    public void Split_NotAMarkerAtALineStart_OneText(string yaml)
    {
        Assert.Equal([yaml], Texts(yaml));
    }

    [Fact]
    public void Split_DocumentEnd_StaysInTheTextItEnds()
    {
        Assert.Equal(["a: 1\n...\n# c\nb: 2\n...\n", "---\nc: 3\n"], Texts("a: 1\n...\n# c\nb: 2\n...\n---\nc: 3\n"));
    }

    [Fact]
    public void Split_Crlf_SplitsAndCountsLines()
    {
        var yaml = "a: 1\r\nb: 2\r\n---\r\nc: 3\r\n";

        Assert.Equal(["a: 1\r\nb: 2\r\n", "---\r\nc: 3\r\n"], Texts(yaml));
        Assert.Equal(2, DocumentTexts.Split(yaml)[1].Line);
    }

    [Theory]
    [InlineData("%YAML 1.2\n---\na: 1\n---\nb: 2\n")]
    [InlineData("a: 1\n...\n%TAG !e! tag:example.com,2000:\n---\nb: !e!x 2\n")]
    [InlineData("a: 1\r---\rb: 2\r")]
    [InlineData("a: 1\u0085---\nb: 2\n")]
    [InlineData("a: 1\u2028---\nb: 2\n")]
    [InlineData("a: 1\u2029---\nb: 2\n")]
    [InlineData("a: 1\0\n---\nb: 2\n")]
    public void Split_DirectiveOrLineBreakYamlDotNetReadsOtherwise_WholeStream(string yaml)
    {
        Assert.Equal([yaml], Texts(yaml));
    }

    /// <summary>A block scalar at a document's root may continue past the text; a flow collection or ':' before its first plain scalar depends on the text before.</summary>
    [Theory]
    [InlineData("--- |\nfoo\n", true, false)]
    [InlineData("--- !!str >-\n  foo\n", true, false)]
    [InlineData("---\na: |\n  foo\n", false, false)]
    [InlineData("- |\n  foo\n", false, false)]
    [InlineData("---\napiVersion: v1\nkind: Service\n", false, false)]
    [InlineData("---\n\"a\": 1\nb: [2]\n", false, false)]
    [InlineData("---\n- |\n  x\n- y\n", false, false)]
    [InlineData("---\n# only a comment\n", false, false)]
    [InlineData("---\n{apiVersion: v1}\n", false, true)]
    [InlineData("--- [a]\n", false, true)]
    [InlineData("---\n:a: 1\n", false, true)]
    [InlineData("---\n- \"x\"\n- [y]\n- z\n", false, true)]
    public void Scan_Text_TellsWhatItsReadingApartDependsOn(string yaml, bool mayContinue, bool dependsOnPrevious)
    {
        var scanned = KubernetesYamlReader.Scan(yaml);

        Assert.Equal((mayContinue, dependsOnPrevious), (scanned.MayContinue, scanned.DependsOnPrevious));
    }

    private static List<string> Texts(string yaml) => DocumentTexts.Split(yaml).ConvertAll(t => yaml.Substring(t.Start, t.Length));
}
