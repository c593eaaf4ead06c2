using System.Text.Json.Nodes;

namespace Orleans.Proxy.IntegrationTests.Kubernetes.FakeApiServer;

/// <summary>labelSelector and fieldSelector as the API server parses them (the subset clients send).</summary>
internal sealed class Selector
{
    private readonly List<Func<JsonObject, bool>> _terms = [];

    public static Selector Everything { get; } = new();

    public bool Matches(JsonObject obj) => _terms.TrueForAll(t => t(obj));

    /// <summary>Equality, inequality, set (in/notin) and existence terms, comma-separated.</summary>
    public static Selector ParseLabels(string? text)
    {
        var selector = new Selector();
        foreach (var term in SplitTerms(text))
        {
            var setMatch = System.Text.RegularExpressions.Regex.Match(term, @"^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$");
            if (setMatch.Success)
            {
                var key = setMatch.Groups[1].Value;
                var values = setMatch.Groups[3].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                var negate = setMatch.Groups[2].Value == "notin";
                selector._terms.Add(o => Label(o, key) is { } v ? values.Contains(v) != negate : negate);
            }
            else if (term.Contains("!=", StringComparison.Ordinal))
            {
                var (key, value) = Split(term, "!=");
                selector._terms.Add(o => Label(o, key) != value);
            }
            else if (term.Contains('=', StringComparison.Ordinal))
            {
                var (key, value) = Split(term, term.Contains("==", StringComparison.Ordinal) ? "==" : "=");
                selector._terms.Add(o => Label(o, key) == value);
            }
            else if (term.StartsWith('!'))
            {
                var key = term[1..].Trim();
                selector._terms.Add(o => Label(o, key) is null);
            }
            else
            {
                selector._terms.Add(o => Label(o, term) is not null);
            }
        }

        return selector;
    }

    /// <summary>metadata.name and metadata.namespace, as every resource supports; other fields are refused like the API server does.</summary>
    public static Selector ParseFields(string? text)
    {
        var selector = new Selector();
        foreach (var term in SplitTerms(text))
        {
            var negate = term.Contains("!=", StringComparison.Ordinal);
            var (field, value) = Split(term, negate ? "!=" : term.Contains("==", StringComparison.Ordinal) ? "==" : "=");
            var property = field switch
            {
                "metadata.name" => "name",
                "metadata.namespace" => "namespace",
                _ => throw new FormatException($"field label not supported: {field}"),
            };
            selector._terms.Add(o => ((string?)o["metadata"]?[property] ?? "") == value != negate);
        }

        return selector;
    }

    private static IEnumerable<string> SplitTerms(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            yield break;
        }

        // Commas inside "in (a,b)" belong to the term.
        var depth = 0;
        var start = 0;
        for (var i = 0; i <= text.Length; i++)
        {
            if (i == text.Length || (text[i] == ',' && depth == 0))
            {
                var term = text[start..i].Trim();
                if (term.Length > 0)
                {
                    yield return term;
                }

                start = i + 1;
            }
            else if (text[i] == '(')
            {
                depth++;
            }
            else if (text[i] == ')')
            {
                depth--;
            }
        }
    }

    private static (string Key, string Value) Split(string term, string op)
    {
        var at = term.IndexOf(op, StringComparison.Ordinal);
        return (term[..at].Trim(), term[(at + op.Length)..].Trim());
    }

    private static string? Label(JsonObject obj, string key) => (string?)obj["metadata"]?["labels"]?[key];
}
