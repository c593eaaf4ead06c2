using System.Collections.Immutable;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.Translation.Ingress.Conflicts;

/// <summary>
/// The routes of one conversion by host, and the arbitration between Ingresses that claim the same
/// match (host, path and its kind or regex, header and query matches) or the default backend: the
/// first claim wins (Ingresses are added oldest first, see <see cref="IngressOrder"/>), every later
/// one is rejected naming the route that keeps serving.
/// </summary>
internal sealed class RouteTable(ICollection<Rejection> rejections)
{
    private readonly SortedDictionary<string, List<RouteSpec>> _hosts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RouteSpec> _routesByMatch = new(StringComparer.Ordinal);
    private RouteSpec? _defaultBackend;

    /// <summary>Adds the route unless its match or the default backend is already claimed (then a rejection at <paramref name="field"/>).</summary>
    public bool Add(RouteSpec route, string field)
    {
        if (route.IsDefaultBackend)
        {
            if (_defaultBackend is not null)
            {
                rejections.Add(new Rejection(route.Source, field, $"the default backend is already set by {_defaultBackend.Source}"));
                return false;
            }

            _defaultBackend = route;
        }
        else if (!_routesByMatch.TryAdd(MatchKey(route), route))
        {
            var existing = _routesByMatch[MatchKey(route)];
            rejections.Add(new Rejection(route.Source, field, $"host '{route.Host}' path '{route.Path}' ({route.PathMatch}) is already routed by {existing.Source} (route {existing.RouteId})"));
            return false;
        }

        if (!_hosts.TryGetValue(route.Host, out var routes))
        {
            _hosts[route.Host] = routes = [];
        }

        routes.Add(route);
        return true;
    }

    /// <summary>The routes of <paramref name="host"/> on the same path (kind and regex alike) as <paramref name="like"/>, whatever their header and query matches.</summary>
    public IReadOnlyList<RouteSpec> SamePath(string host, RouteSpec like) =>
        _hosts.TryGetValue(host, out var routes)
            ? routes.Where(r => r.Path == like.Path && r.PathMatch == like.PathMatch && r.PathRegex == like.PathRegex).ToList()
            : [];

    /// <summary>Puts <paramref name="updated"/> in the place of <paramref name="route"/>, a route of this table.</summary>
    public void Replace(RouteSpec route, RouteSpec updated)
    {
        var routes = _hosts[route.Host];
        routes[routes.IndexOf(route)] = updated;
    }

    public ImmutableSortedDictionary<string, ImmutableArray<RouteSpec>> ToHosts() =>
        _hosts.ToImmutableSortedDictionary(h => h.Key, h => h.Value.OrderBy(r => r.RouteId, StringComparer.Ordinal).ToImmutableArray(), StringComparer.Ordinal);

    private static string MatchKey(RouteSpec route) => string.Join('\n', route.Host, route.PathMatch, route.PathRegex ?? route.Path,
        string.Join(';', route.Headers.Select(h => $"{h.Name.ToLowerInvariant()}={h.Value}")),
        string.Join(';', route.Query.Select(q => $"{q.Name}={q.Value}")));
}
