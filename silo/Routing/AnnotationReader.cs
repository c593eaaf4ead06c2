using System.Text.RegularExpressions;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.Silo.Routing;

/// <summary>
/// Reads one object's annotations and collects a rejection for every value that does not parse
/// and for every name under our prefix that nothing reads, so no annotation is silently ignored.
/// </summary>
internal sealed class AnnotationReader(string source, IDictionary<string, string>? annotations)
{
    private readonly List<Rejection> _rejections = [];

    public IReadOnlyList<(string Name, string Value)>? ReadPairs(string annotation, Regex namePattern)
    {
        if (annotations is null || !annotations.TryGetValue(annotation, out var text) || string.IsNullOrWhiteSpace(text))
        {
            return [];
        }

        var pairs = new List<(string, string)>();
        foreach (var item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var separator = item.IndexOf('=', StringComparison.Ordinal);
            var name = separator > 0 ? item[..separator].Trim() : string.Empty;
            if (separator <= 0 || !namePattern.IsMatch(name))
            {
                Reject(annotation, $"'{item}' is not of the form name=value (expected e.g. \"X-Env=canary, X-Team=web\")");
                return null;
            }

            pairs.Add((name, item[(separator + 1)..].Trim()));
        }

        return pairs;
    }

    /// <summary>The trimmed value, or null when the annotation is absent or blank.</summary>
    public string? Read(string annotation) =>
        annotations is not null && annotations.TryGetValue(annotation, out var text) && !string.IsNullOrWhiteSpace(text) ? text.Trim() : null;

    /// <summary>The rejections, plus one for each of our annotations that is not known.</summary>
    public IReadOnlyList<Rejection> Finish()
    {
        foreach (var name in annotations?.Keys ?? [])
        {
            if (name.StartsWith(Annotations.Prefix, StringComparison.Ordinal) && !Annotations.Known.Contains(name))
            {
                Reject(name, "unknown annotation: it is ignored (check the spelling against the README)");
            }
        }

        return _rejections;
    }

    public void Reject(string annotation, string reason) =>
        _rejections.Add(new Rejection(source, $"metadata.annotations[{annotation}]", reason));
}
