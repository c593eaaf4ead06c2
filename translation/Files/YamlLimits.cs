using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Orleans.Proxy.Translation.Files;

/// <summary>
/// Checks an input against <see cref="KubernetesYamlReader"/>'s limits from the parser's events, before a node is built.
/// YamlDotNet keeps an alias as a reference to its anchor's node, but the reader writes each object out again to
/// deserialize it, which expands every alias: a "billion laughs" of a few hundred bytes would expand to gigabytes.
/// Building nodes also recurses once per nesting level, so depth is bounded before it can exhaust the stack.
/// An alias counts as the node its anchor names, so one that no earlier node of its document anchors is refused: YamlDotNet
/// resolves forward aliases (YAML does not allow them, nor does kubectl), and counted as one node they would let a bomb past.
/// </summary>
internal static class YamlLimits
{
    /// <summary>The nodes of an input, aliases counted as often as they are expanded, and the first limit it exceeds.</summary>
    /// <param name="observe">Given each parser event with the number of collections open around it, for what else the caller reads from them.</param>
    public static (long Nodes, (string Field, string Reason)? Exceeded) Check(string yaml, Action<ParsingEvent, int>? observe = null)
    {
        if (yaml.Length > KubernetesYamlReader.MaxInputLength)
        {
            return (0, ("size", $"the input is larger than the {KubernetesYamlReader.MaxInputLength} characters read"));
        }

        // Per anchor of the current document (YamlDotNet resolves an alias within its document): the nodes and the depth its alias adds where it is expanded.
        var anchors = new Dictionary<AnchorName, (long Nodes, int Depth)>();
        // Per open collection: its anchor, its first node, its level, and the deepest level reached before it.
        var open = new Stack<(AnchorName Anchor, long FirstNode, int Depth, int Deepest)>();
        var parser = new Parser(new StringReader(yaml));
        long nodes = 0;
        // The deepest level reached inside the innermost open collection.
        var deepest = 0;
        while (MoveNext(parser))
        {
            var at = parser.Current!.Start;
            observe?.Invoke(parser.Current, open.Count);
            switch (parser.Current)
            {
                case DocumentStart:
                    anchors.Clear();
                    break;
                case AnchorAlias alias when !anchors.ContainsKey(alias.Value) && !open.Any(o => o.Anchor == alias.Value):
                    return (nodes, ($"line {at.Line}, column {at.Column}", $"alias *{alias.Value} does not follow its anchor in its document (a forward alias, or one to another document)"));
                case AnchorAlias alias:
                    // An alias inside the node it names (recursive) counts as one node: the object holding it is refused when read.
                    var expanded = anchors.GetValueOrDefault(alias.Value, (1, 0));
                    nodes += expanded.Nodes;
                    deepest = Math.Max(deepest, open.Count + expanded.Depth);
                    break;
                case Scalar scalar:
                    nodes++;
                    deepest = Math.Max(deepest, open.Count);
                    if (!scalar.Anchor.IsEmpty)
                    {
                        anchors[scalar.Anchor] = (1, 0);
                    }

                    break;
                case NodeEvent collection and (MappingStart or SequenceStart):
                    nodes++;
                    open.Push((collection.Anchor, nodes, open.Count, deepest));
                    deepest = open.Count;
                    break;
                case MappingEnd or SequenceEnd:
                    var (anchor, firstNode, depth, deepestBefore) = open.Pop();
                    if (!anchor.IsEmpty)
                    {
                        anchors[anchor] = (nodes - firstNode + 1, deepest - depth);
                    }

                    deepest = Math.Max(deepest, deepestBefore);
                    break;
                default:
                    break;
            }

            if (deepest > KubernetesYamlReader.MaxDepth)
            {
                return (nodes, ($"line {at.Line}, column {at.Column}", $"YAML nests deeper than {KubernetesYamlReader.MaxDepth} levels (aliases expanded)"));
            }

            if (nodes > KubernetesYamlReader.MaxNodes)
            {
                return (nodes, ($"line {at.Line}, column {at.Column}", $"YAML has more than {KubernetesYamlReader.MaxNodes} nodes (aliases counted each time they are expanded): an alias bomb or an input too large"));
            }
        }

        return (nodes, null);
    }

    /// <summary>
    /// YamlDotNet throws a bare InvalidOperationException, not a YamlException, when a flow collection runs on to a line less
    /// indented than its block ("a: [b" then "c: d": a bracket not closed, as a half-written save leaves it). It is refused
    /// as YAML that does not parse, after the last event read, rather than escaping the reader.
    /// </summary>
    private static bool MoveNext(Parser parser)
    {
        var last = parser.Current?.End ?? Mark.Empty;
        try
        {
            return parser.MoveNext();
        }
        catch (InvalidOperationException)
        {
            throw new SyntaxErrorException(last, last, "YamlDotNet's parser stopped after this point (a flow collection, [ or {, not closed before a less indented line?).");
        }
    }
}
