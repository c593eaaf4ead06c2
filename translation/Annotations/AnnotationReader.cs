using System.Net;
using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Orleans.Proxy.Routing;

using Orleans.Proxy.Translation.Ingress;

namespace Orleans.Proxy.Translation.Annotations;

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
    public string? Value(string annotation) =>
        annotations is not null && annotations.TryGetValue(annotation, out var text) && !string.IsNullOrWhiteSpace(text) ? text.Trim() : null;

    /// <summary>
    /// A comma-separated list of CIDR ranges or addresses, normalized to CIDR; empty when absent;
    /// null (and a rejection ending with <paramref name="consequence"/>) when an item does not parse.
    /// </summary>
    public ImmutableArray<string>? Networks(string annotation, string consequence)
    {
        var text = Value(annotation);
        if (text is null)
        {
            return [];
        }

        var ranges = ImmutableArray.CreateBuilder<string>();
        foreach (var item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (IPNetwork.TryParse(item, out var network))
            {
                ranges.Add(network.ToString());
            }
            else if (IPAddress.TryParse(item, out var address))
            {
                ranges.Add(new IPNetwork(address, address.GetAddressBytes().Length * 8).ToString());
            }
            else
            {
                Reject(annotation, $"'{item}' is not an IP address or CIDR range (e.g. 10.0.0.0/8); {consequence}");
                return null;
            }
        }

        return ranges.ToImmutable();
    }

    /// <summary>The names present on the object.</summary>
    public IEnumerable<string> Names => annotations?.Keys ?? [];

    /// <summary>The rejections, plus one for each of our or ingress-nginx's annotations that is not known.</summary>
    public IReadOnlyList<Rejection> Finish()
    {
        foreach (var name in Names)
        {
            if (AnnotationNames.Known.Contains(name))
            {
                continue;
            }

            if (name.StartsWith(AnnotationNames.Prefix, StringComparison.Ordinal))
            {
                Reject(name, "unknown annotation: it is ignored (check the spelling against the README)");
            }
            else if (name.StartsWith(AnnotationNames.NginxPrefix, StringComparison.Ordinal))
            {
                Reject(name, "this ingress-nginx annotation is not supported: it is ignored (the README lists the supported ones)");
            }
        }

        return _rejections;
    }

    public void Reject(string annotation, string reason) =>
        _rejections.Add(new Rejection(source, $"metadata.annotations[{annotation}]", reason));
}
