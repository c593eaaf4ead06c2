using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.Edge.Matching;

/// <summary>
/// The routes of every host, compiled for matching, at one routing generation. Immutable: a request
/// reads one table from start to end. A new table is this one with the changed hosts compiled anew:
/// they go into a small index of changes over a base index shared with the previous table, so a
/// change costs what changed, and the base is rebuilt only once the changes outgrow the square root
/// of its size (at 10,000 hosts, a 10,000-entry copy every 100 hosts changed).
/// </summary>
internal sealed class MatchTable
{
    /// <summary>The host key of rules without a host and of the default backend.</summary>
    public const string AnyHost = "*";

    /// <summary>Longest host name looked up; DNS names are at most 253 characters.</summary>
    private const int MaxHostLength = 255;

    /// <summary>Changes the table holds over its base before a new base is built, at the least.</summary>
    private const int MinChanges = 64;

    private static readonly Dictionary<string, HostEntry?> NoChanges = new(StringComparer.Ordinal);

    // Never null entries in the base; in the changes, null is a host removed from the base.
    private readonly Dictionary<string, HostEntry?> _base;
    private readonly Dictionary<string, HostEntry?>.AlternateLookup<ReadOnlySpan<char>> _baseLookup;
    private readonly Dictionary<string, HostEntry?> _changes;
    private readonly Dictionary<string, HostEntry?>.AlternateLookup<ReadOnlySpan<char>> _changesLookup;

    /// <summary>How many wildcard hosts have HTTPRoute routes: while some do, names deeper than one label below them are looked up too.</summary>
    private readonly int _deepWildcardHosts;

    private MatchTable(Dictionary<string, HostEntry?> hosts, Dictionary<string, HostEntry?> changes, MatchingOptions options, int hostCount, int deepWildcardHosts, int compiledHosts)
    {
        _base = hosts;
        _baseLookup = hosts.GetAlternateLookup<ReadOnlySpan<char>>();
        _changes = changes;
        _changesLookup = changes.GetAlternateLookup<ReadOnlySpan<char>>();
        HostCount = hostCount;
        _deepWildcardHosts = deepWildcardHosts;
        Options = options;
        CompiledHosts = compiledHosts;
    }

    public static MatchTable Empty(MatchingOptions options) => new(new Dictionary<string, HostEntry?>(StringComparer.Ordinal), NoChanges, options, 0, 0, 0);

    public MatchingOptions Options { get; }

    /// <summary>How many hosts this table compiled rather than reused from the previous one.</summary>
    public int CompiledHosts { get; }

    public int HostCount { get; }

    /// <summary>
    /// A table for <paramref name="hosts"/> (host key to its routes) where only the keys in
    /// <paramref name="changed"/> (distinct; added, changed or removed) may differ from this table.
    /// A changed key whose routes are the same object keeps its compiled routes.
    /// </summary>
    /// <param name="proxyRouteIds">For a host key, the YARP route of each of its routes, in their order (null: none).</param>
    public MatchTable With(IReadOnlyDictionary<string, HostRoutes> hosts, IEnumerable<string> changed, Func<string, IReadOnlyList<string?>> proxyRouteIds)
    {
        var changes = new Dictionary<string, HostEntry?>(_changes, StringComparer.Ordinal);
        var hostCount = HostCount;
        var deepWildcardHosts = _deepWildcardHosts;
        var compiled = 0;
        foreach (var key in changed)
        {
            var had = TryGet(key, out var current);
            if (!hosts.TryGetValue(key, out var routes))
            {
                if (had)
                {
                    Record(changes, key, null);
                    hostCount--;
                    deepWildcardHosts -= DeepWildcard(key, current!);
                }

                continue;
            }

            if (had && ReferenceEquals(current!.Source, routes))
            {
                continue;
            }

            var entry = new HostEntry(routes, Compile(routes.Routes, proxyRouteIds(key), Options));
            compiled++;
            Record(changes, key, entry);
            hostCount += had ? 0 : 1;
            deepWildcardHosts += DeepWildcard(key, entry) - (had ? DeepWildcard(key, current!) : 0);
        }

        if (changes.Count <= Math.Max(MinChanges, Math.Sqrt(_base.Count)))
        {
            return new MatchTable(_base, changes, Options, hostCount, deepWildcardHosts, compiled);
        }

        var merged = new Dictionary<string, HostEntry?>(_base, StringComparer.Ordinal);
        foreach (var (key, entry) in changes)
        {
            if (entry is null)
            {
                merged.Remove(key);
            }
            else
            {
                merged[key] = entry;
            }
        }

        return new MatchTable(merged, NoChanges, Options, hostCount, deepWildcardHosts, compiled);

        // A host gone from the base is marked removed; one only ever in the changes is simply dropped.
        void Record(Dictionary<string, HostEntry?> into, string key, HostEntry? entry)
        {
            if (entry is null && !_base.ContainsKey(key))
            {
                into.Remove(key);
            }
            else
            {
                into[key] = entry;
            }
        }
    }

    /// <summary>
    /// The first route, in precedence order, that matches: the request's host exactly, then the
    /// wildcard covering its first label, then (HTTPRoute routes only) wildcards of shorter suffixes,
    /// then rules without a host, then the default backend.
    /// </summary>
    /// <param name="host">The Host header (or :authority) as received: any case, with or without a port.</param>
    /// <param name="matchPath">The request path, normalized (<see cref="NormalizedPath.MatchPath"/>).</param>
    /// <param name="isServed">False for a route the proxy cannot serve (its YARP route not loaded yet, its backend not served): the next route is tried, as is a route without a YARP route.</param>
    public CompiledRoute? Match(string? host, string matchPath, HttpRequest request, Func<CompiledRoute, bool>? isServed = null)
    {
        Span<char> buffer = stackalloc char[MaxHostLength + 2];
        var name = HostName(host, buffer[2..]);
        if (name.Length > 0 && TryGet(name, out var exact) && FirstMatch(exact, matchPath, request, isServed) is { } byHost)
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
            if (TryGet(wildcard, out var entry) && FirstMatch(entry, matchPath, request, isServed) is { } byWildcard)
            {
                return byWildcard;
            }
        }

        // A Gateway API wildcard covers any number of labels: "*.foo.com" also serves "baz.bar.foo.com" (the
        // longest suffix first, the spec's most specific hostname), for HTTPRoute routes only.
        for (var at = dot; _deepWildcardHosts > 0 && at > 0 && name[(at + 1)..].IndexOf('.') is var next and >= 0;)
        {
            at += 1 + next;
            var suffix = buffer[(1 + at)..(2 + name.Length)];
            suffix[0] = '*';
            if (TryGet(suffix, out var entry) && FirstMatch(entry, matchPath, request, isServed, httpRoutesOnly: true) is { } byGatewayWildcard)
            {
                return byGatewayWildcard;
            }
        }

        return TryGet(AnyHost, out var any) ? FirstMatch(any, matchPath, request, isServed) : null;
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
        for (var at = dot; _deepWildcardHosts > 0 && at > 0 && name.IndexOf('.', at + 1) is var next and >= 0; at = next)
        {
            deeper.Add("*" + name[next..]);
        }

        return keys.Where(k => k.Length > 0).Distinct(StringComparer.Ordinal)
            .SelectMany(k => TryGet(k, out var entry) ? entry.Routes : [])
            .Concat(deeper.SelectMany(k => TryGet(k, out var entry) ? entry.Routes.Where(r => r.HttpRoute is not null) : []))
            .Concat(TryGet(AnyHost, out var any) ? any.Routes : []);
    }

    private bool TryGet(ReadOnlySpan<char> key, [NotNullWhen(true)] out HostEntry? entry)
    {
        if (_changes.Count > 0 && _changesLookup.TryGetValue(key, out entry))
        {
            return entry is not null;
        }

        return _baseLookup.TryGetValue(key, out entry);
    }

    private static int DeepWildcard(string key, HostEntry entry) =>
        key.StartsWith("*.", StringComparison.Ordinal) && entry.Routes.Any(r => r.HttpRoute is not null) ? 1 : 0;

    private static CompiledRoute? FirstMatch(HostEntry entry, string matchPath, HttpRequest request, Func<CompiledRoute, bool>? isServed, bool httpRoutesOnly = false)
    {
        foreach (var route in entry.Routes)
        {
            if ((!httpRoutesOnly || route.HttpRoute is not null) && route.Matches(matchPath, request)
                && (isServed is null || (route.ProxyRouteId is not null && isServed(route))))
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

    private static CompiledRoute[] Compile(IReadOnlyList<RouteSpec> routes, IReadOnlyList<string?> proxyRouteIds, MatchingOptions options)
    {
        var compiled = new CompiledRoute[routes.Count];
        for (var i = 0; i < compiled.Length; i++)
        {
            compiled[i] = new CompiledRoute(routes[i], proxyRouteIds[i], options);
        }

        Array.Sort(compiled, RoutePrecedence.Compare);
        return compiled;
    }

    private sealed record HostEntry(HostRoutes Source, CompiledRoute[] Routes);
}
