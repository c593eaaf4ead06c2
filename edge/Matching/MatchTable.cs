using Microsoft.AspNetCore.Http;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.Edge.Matching;

/// <summary>
/// The routes of every host, compiled for matching, at one routing generation. Immutable: a request
/// reads one table from start to end. A new table reuses the compiled routes of every host whose
/// routes did not change, so a change costs the compilation of what changed plus a copy of the
/// host index (references only).
/// </summary>
internal sealed class MatchTable
{
    /// <summary>The host key of rules without a host and of the default backend.</summary>
    public const string AnyHost = "*";

    /// <summary>Longest host name looked up; DNS names are at most 253 characters.</summary>
    private const int MaxHostLength = 255;

    private readonly Dictionary<string, HostEntry> _hosts;
    private readonly Dictionary<string, HostEntry>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    /// <summary>Some wildcard host has HTTPRoute routes, so names deeper than one label below it are looked up too.</summary>
    private readonly bool _deepWildcards;

    private MatchTable(Dictionary<string, HostEntry> hosts, MatchingOptions options, int compiledHosts)
    {
        _hosts = hosts;
        _deepWildcards = hosts.Any(h => h.Key.StartsWith("*.", StringComparison.Ordinal) && h.Value.Routes.Any(r => r.HttpRoute is not null));
        _lookup = hosts.GetAlternateLookup<ReadOnlySpan<char>>();
        Options = options;
        CompiledHosts = compiledHosts;
    }

    public static MatchTable Empty(MatchingOptions options) => new(new Dictionary<string, HostEntry>(StringComparer.Ordinal), options, 0);

    public MatchingOptions Options { get; }

    /// <summary>How many hosts this table compiled rather than reused from the previous one.</summary>
    public int CompiledHosts { get; }

    public int HostCount => _hosts.Count;

    /// <summary>A table for <paramref name="hosts"/> (host key to its routes), reusing this table's hosts whose routes are the same object.</summary>
    public MatchTable With(IReadOnlyDictionary<string, HostRoutes> hosts)
    {
        var result = new Dictionary<string, HostEntry>(hosts.Count, StringComparer.Ordinal);
        var compiled = 0;
        foreach (var (key, routes) in hosts)
        {
            if (_hosts.TryGetValue(key, out var entry) && ReferenceEquals(entry.Source, routes))
            {
                result[key] = entry;
            }
            else
            {
                result[key] = new HostEntry(routes, Compile(routes.Routes, Options));
                compiled++;
            }
        }

        return new MatchTable(result, Options, compiled);
    }

    /// <summary>
    /// The first route, in precedence order, that matches: the request's host exactly, then the
    /// wildcard covering its first label, then (HTTPRoute routes only) wildcards of shorter suffixes,
    /// then rules without a host, then the default backend.
    /// </summary>
    /// <param name="host">The Host header (or :authority) as received: any case, with or without a port.</param>
    /// <param name="matchPath">The request path, normalized (<see cref="NormalizedPath.MatchPath"/>).</param>
    /// <param name="isServed">False for a route the proxy cannot serve yet (not loaded): the next one is tried.</param>
    public CompiledRoute? Match(string? host, string matchPath, HttpRequest request, Func<string, bool>? isServed = null)
    {
        Span<char> buffer = stackalloc char[MaxHostLength + 2];
        var name = HostName(host, buffer[2..]);
        if (name.Length > 0 && _lookup.TryGetValue(name, out var exact) && FirstMatch(exact, matchPath, request, isServed) is { } byHost)
        {
            return byHost;
        }

        // "*.foo.com" covers exactly one label: "bar.foo.com", not "foo.com" nor "baz.bar.foo.com".
        var dot = name.IndexOf('.');
        if (dot > 0)
        {
            // The key "*.foo.com" is built in place: '*' over the last character of the first label.
            var wildcard = buffer[(dot + 1)..(2 + name.Length)];
            wildcard[0] = '*';
            if (_lookup.TryGetValue(wildcard, out var entry) && FirstMatch(entry, matchPath, request, isServed) is { } byWildcard)
            {
                return byWildcard;
            }
        }

        // A Gateway API wildcard covers any number of labels: "*.foo.com" also serves "baz.bar.foo.com" (the
        // longest suffix first, the spec's most specific hostname), for HTTPRoute routes only.
        for (var at = dot; _deepWildcards && at > 0 && name[(at + 1)..].IndexOf('.') is var next and >= 0;)
        {
            at += 1 + next;
            var suffix = buffer[(1 + at)..(2 + name.Length)];
            suffix[0] = '*';
            if (_lookup.TryGetValue(suffix, out var entry) && FirstMatch(entry, matchPath, request, isServed, httpRoutesOnly: true) is { } byGatewayWildcard)
            {
                return byGatewayWildcard;
            }
        }

        return _hosts.TryGetValue(AnyHost, out var any) ? FirstMatch(any, matchPath, request, isServed) : null;
    }

    /// <summary>Every route that could serve <paramref name="host"/>, in the order they are tried.</summary>
    public IEnumerable<CompiledRoute> Candidates(string? host)
    {
        var name = HostName(host, new char[MaxHostLength]).ToString();
        var keys = new List<string> { name };
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0)
        {
            keys.Add("*" + name[dot..]);
        }

        var deeper = new List<string>();
        for (var at = dot; _deepWildcards && at > 0 && name.IndexOf('.', at + 1) is var next and >= 0; at = next)
        {
            deeper.Add("*" + name[next..]);
        }

        return keys.Where(k => k.Length > 0).Distinct(StringComparer.Ordinal)
            .SelectMany(k => _hosts.TryGetValue(k, out var entry) ? entry.Routes : [])
            .Concat(deeper.SelectMany(k => _hosts.TryGetValue(k, out var entry) ? entry.Routes.Where(r => r.HttpRoute is not null) : []))
            .Concat(_hosts.TryGetValue(AnyHost, out var any) ? any.Routes : []);
    }

    private static CompiledRoute? FirstMatch(HostEntry entry, string matchPath, HttpRequest request, Func<string, bool>? isServed, bool httpRoutesOnly = false)
    {
        foreach (var route in entry.Routes)
        {
            if ((!httpRoutesOnly || route.HttpRoute is not null) && route.Matches(matchPath, request) && (isServed is null || isServed(route.RouteId)))
            {
                return route;
            }
        }

        return null;
    }

    /// <summary>The host name lower-cased into <paramref name="buffer"/>: no port, no brackets' content changed, no trailing dot; empty when unusable.</summary>
    internal static ReadOnlySpan<char> HostName(string? host, Span<char> buffer)
    {
        var value = host.AsSpan();
        if (value.Length > 0 && value[0] == '[')
        {
            // An IPv6 literal: "[::1]:8080".
            var close = value.IndexOf(']');
            value = close < 0 ? value : value[..(close + 1)];
        }
        else if (value.IndexOf(':') is var colon and >= 0)
        {
            value = value[..colon];
        }

        if (value.Length > 0 && value[^1] == '.')
        {
            // "foo.com." is the DNS absolute form of "foo.com".
            value = value[..^1];
        }

        if (value.Length == 0 || value.Length > buffer.Length)
        {
            return [];
        }

        var length = value.ToLowerInvariant(buffer);
        return buffer[..length];
    }

    private static CompiledRoute[] Compile(IEnumerable<RouteSpec> routes, MatchingOptions options)
    {
        var compiled = routes.Select(r => new CompiledRoute(r, options)).ToArray();
        Array.Sort(compiled, RoutePrecedence.Compare);
        return compiled;
    }

    private sealed record HostEntry(HostRoutes Source, CompiledRoute[] Routes);
}
