using Orleans.Proxy.Routing;

namespace Orleans.Proxy.Edge.Matching;

/// <summary>
/// The order routes are tried in; the first that matches serves. Exact hosts before wildcard hosts
/// before rules without a host before the default backend (the host is looked up in that order).
/// Within one host:
/// <list type="bullet">
/// <item>Ingress routes: the longest path first (a regex path counts its pattern's length), Exact
/// before Prefix at equal length, then a route with header or query matches before one without.</item>
/// <item>HTTPRoute routes (Gateway API's order): Exact path before any Prefix, the longer Prefix
/// first, then a route with a method, then more header matches, then more query matches, then the
/// lower <see cref="HttpRouteRule.Order"/>. "Exact before any Prefix" is applied as "the longer path
/// first, Exact first at equal length": an Exact and a Prefix path that both match one request have
/// the Exact path at least as long, so the two orders choose the same route for every request, and
/// this one interleaves with the Ingress order. RegularExpression paths, whose precedence the spec
/// leaves to implementations, come after every Exact and Prefix path of the host.</item>
/// <item>Both kinds on one host: the path keys above (length, then Exact) first; at equal path, the
/// HTTPRoute route first (its method, header and query conditions are the more specific), then
/// each kind's own keys. Every key is a lexicographic one, so the order is total and transitive.</item>
/// </list>
/// Ties end with the route id (ordinal), so the order never depends on the order routes arrived in.
/// </summary>
internal static class RoutePrecedence
{
    /// <summary>The path length an HTTPRoute regex path ranks with: below every real path.</summary>
    public const int RegexPathLength = -1;

    public static int HostRank(RouteSpec route) =>
        route.IsDefaultBackend ? 3 : route.Host == "*" ? 2 : route.Host.StartsWith("*.", StringComparison.Ordinal) ? 1 : 0;

    /// <summary>The Ingress order as one number, lower first, shown by diagnostics.</summary>
    /// <param name="path">The rule path as matching reads it (normalized); the route's own when not given.</param>
    public static int Rank(RouteSpec route, string? path = null)
    {
        var specificity = ((route.PathRegex ?? path ?? route.Path).Length * 8) + (route.PathMatch == PathMatchKind.Exact ? 4 : 0) + IngressMatchers(route.Headers.Length + route.Query.Length);
        return (HostRank(route) * 1_000_000) - specificity;
    }

    public static int Compare(CompiledRoute a, CompiledRoute b)
    {
        var order = a.HostRank.CompareTo(b.HostRank);
        order = order != 0 ? order : b.PathLength.CompareTo(a.PathLength);
        order = order != 0 ? order : b.IsExact.CompareTo(a.IsExact);
        order = order != 0 ? order : (a.HttpRoute is null).CompareTo(b.HttpRoute is null);
        if (order == 0 && a.HttpRoute is { } ruleA && b.HttpRoute is { } ruleB)
        {
            order = (ruleB.Method is not null).CompareTo(ruleA.Method is not null);
            order = order != 0 ? order : b.HeaderCount.CompareTo(a.HeaderCount);
            order = order != 0 ? order : b.QueryCount.CompareTo(a.QueryCount);
            order = order != 0 ? order : ruleA.Order.CompareTo(ruleB.Order);
        }
        else if (order == 0)
        {
            order = IngressMatchers(b.HeaderCount + b.QueryCount).CompareTo(IngressMatchers(a.HeaderCount + a.QueryCount));
        }

        return order != 0 ? order : string.CompareOrdinal(a.RouteId, b.RouteId);
    }

    /// <summary>How much an Ingress route's header and query matches weigh: three and more count the same.</summary>
    private static int IngressMatchers(int count) => Math.Min(count, 3);
}
