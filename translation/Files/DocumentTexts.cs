using System.Buffers;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Orleans.Proxy.Translation.Files;

/// <summary>
/// Splits a YAML stream at its "---" lines into texts that read alone as they read within the stream, so that a file
/// read again parses only the texts that changed. "---" at the start of a line, followed by a space, a tab, a line break
/// or the end, starts a document wherever it is: YAML 1.2 forbids it inside any scalar (c-forbidden), and comments end at
/// their line. A text runs from one such line to the next: "..." ends, comments and a document after a "..." stay in the
/// text they follow. YamlDotNet's parser carries nothing from one explicit document to the next but tag directives
/// (a stream with a directive is not split) and what <see cref="Separability"/> looks for.
/// </summary>
internal static class DocumentTexts
{
    /// <summary>
    /// Line breaks YamlDotNet counts and YAML 1.2 does not (NEL, LS, PS) and NUL, YamlDotNet's end of input: a stream holding
    /// one is read whole rather than split where YamlDotNet might not start a line or might stop.
    /// </summary>
    private static readonly SearchValues<char> NotSplit = SearchValues.Create("\0\u0085\u2028\u2029");

    /// <param name="Line">The number of lines before the text in the stream, which YamlDotNet counts from 1 in the text.</param>
    internal readonly record struct Text(int Start, int Length, int Line);

    /// <summary>The texts of <paramref name="yaml"/> in order: the whole stream alone when it holds a directive or a line break other than LF and CRLF.</summary>
    public static List<Text> Split(string yaml)
    {
        List<Text> whole = [new(0, yaml.Length, 0)];
        if (yaml.AsSpan().ContainsAny(NotSplit) || HasLoneCarriageReturn(yaml))
        {
            return whole;
        }

        var texts = new List<Text>();
        var (start, startLine, line) = (0, 0, 0);
        for (var at = 0; at < yaml.Length;)
        {
            // A directive belongs to the document after it, but it would sit in the text before that document's "---".
            if (yaml[at] == '%')
            {
                return whole;
            }

            if (at > 0 && IsDocumentStart(yaml.AsSpan(at)))
            {
                texts.Add(new(start, at - start, startLine));
                (start, startLine) = (at, line);
            }

            var end = yaml.IndexOf('\n', at);
            if (end < 0)
            {
                break;
            }

            line++;
            at = end + 1;
        }

        texts.Add(new(start, yaml.Length - start, startLine));
        return texts;
    }

    private static bool IsDocumentStart(ReadOnlySpan<char> line) =>
        line.StartsWith("---", StringComparison.Ordinal) && (line.Length == 3 || line[3] is ' ' or '\t' or '\r' or '\n');

    private static bool HasLoneCarriageReturn(string yaml)
    {
        for (var at = yaml.IndexOf('\r'); at >= 0; at = yaml.IndexOf('\r', at + 1))
        {
            if (at + 1 == yaml.Length || yaml[at + 1] != '\n')
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// What a text's parser events say about reading it apart from the texts around it, where YamlDotNet departs from YAML
    /// across a "---" line. A block scalar at a document's root whose first line starts in column 0 takes the column-0 lines
    /// after it, "---" included (<see cref="MayContinue"/>). And the scanner keeps, from one document to the next, whether
    /// its last tokens were a flow collection or a quoted scalar in one, until its next plain scalar: then it drops a ':'
    /// that starts that scalar, and it reads a ':' inside a flow collection before it differently (<see cref="DependsOnPrevious"/>).
    /// </summary>
    internal sealed class Separability
    {
        private bool _firstPlainScalarOrFlowSeen;

        /// <summary>A document of the text is a block scalar at its root: the text may not end where the stream would end it.</summary>
        public bool MayContinue { get; private set; }

        /// <summary>The text opens a flow collection before its first plain scalar, or that scalar starts with ':'.</summary>
        public bool DependsOnPrevious { get; private set; }

        public void Observe(ParsingEvent parsingEvent, int open)
        {
            if (open == 0 && parsingEvent is Scalar { Style: ScalarStyle.Literal or ScalarStyle.Folded })
            {
                MayContinue = true;
            }

            if (_firstPlainScalarOrFlowSeen)
            {
                return;
            }

            switch (parsingEvent)
            {
                // An empty plain scalar is an absent value, not a token.
                case Scalar { Style: ScalarStyle.Plain, Value: [var first, ..] }:
                    (DependsOnPrevious, _firstPlainScalarOrFlowSeen) = (first == ':', true);
                    break;
                case MappingStart { Style: MappingStyle.Flow } or SequenceStart { Style: SequenceStyle.Flow }:
                    (DependsOnPrevious, _firstPlainScalarOrFlowSeen) = (true, true);
                    break;
                default:
                    break;
            }
        }
    }
}
