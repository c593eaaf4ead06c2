using System.Text.RegularExpressions;

namespace Orleans.Proxy.Translation.GatewayApi;

/// <summary>
/// Gateway API hostnames: a DNS name, or "*." and a DNS name, which covers every name ending in
/// that suffix (any number of labels, unlike an Ingress wildcard), never the suffix itself.
/// </summary>
internal static partial class Hostnames
{
    /// <summary>The hostname in lower case; null when it is neither a DNS name nor a wildcard of one (IP addresses are not hostnames).</summary>
    public static string? Normalize(string? hostname)
    {
        if (string.IsNullOrEmpty(hostname))
        {
            return null;
        }

        var host = hostname.ToLowerInvariant();
        var name = host.StartsWith("*.", StringComparison.Ordinal) ? host[2..] : host;
        return name.Length <= 253 && DnsName().IsMatch(name) && !System.Net.IPAddress.TryParse(name, out _) ? host : null;
    }

    /// <summary>
    /// The hostnames a route serves on a listener: the listener's when the route names none, the route's
    /// when the listener names none, else each pair's intersection (the more specific of two names when
    /// one covers the other). "*" stands for any host. Empty: no match (NoMatchingListenerHostname).
    /// </summary>
    public static IReadOnlyList<string> Intersect(string? listener, IReadOnlyList<string> route)
    {
        if (route.Count == 0)
        {
            return [listener ?? "*"];
        }

        if (listener is null)
        {
            return route;
        }

        return [.. route.Select(r => Covers(listener, r) ? r : Covers(r, listener) ? listener : null).OfType<string>().Distinct(StringComparer.Ordinal)];
    }

    /// <summary>True when every name <paramref name="name"/> covers is covered by <paramref name="pattern"/>.</summary>
    public static bool Covers(string pattern, string name) =>
        pattern == name
        || (pattern.StartsWith("*.", StringComparison.Ordinal) && name.EndsWith(pattern[1..], StringComparison.Ordinal) && name.Length > pattern.Length - 1);

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$")]
    private static partial Regex DnsName();
}
