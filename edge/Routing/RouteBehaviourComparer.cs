using Yarp.ReverseProxy.Configuration;

namespace Orleans.Proxy.Edge.Routing;

/// <summary>
/// Equal YARP route configurations but for RouteId and Order: what a route does once matched. Not
/// YARP's own equality, which compares ids and policy names ignoring case and leaves
/// MaxRequestBodySize out: here every string is compared ordinally and every property counts, so
/// two behaviours are never taken for one. The hash reads the cluster, the policies and the
/// metadata and transforms' contents; equal hashes are told apart by comparing every property.
/// </summary>
internal sealed class RouteBehaviourComparer : IEqualityComparer<RouteConfig>
{
    private static readonly Dictionary<string, string> Empty = [];

    public static RouteBehaviourComparer Instance { get; } = new();

    public bool Equals(RouteConfig? x, RouteConfig? y) =>
        ReferenceEquals(x, y)
        || (x is not null && y is not null
            && string.Equals(x.ClusterId, y.ClusterId, StringComparison.Ordinal)
            && string.Equals(x.AuthorizationPolicy, y.AuthorizationPolicy, StringComparison.Ordinal)
            && string.Equals(x.RateLimiterPolicy, y.RateLimiterPolicy, StringComparison.Ordinal)
            && string.Equals(x.OutputCachePolicy, y.OutputCachePolicy, StringComparison.Ordinal)
            && string.Equals(x.TimeoutPolicy, y.TimeoutPolicy, StringComparison.Ordinal)
            && string.Equals(x.CorsPolicy, y.CorsPolicy, StringComparison.Ordinal)
            && x.Timeout == y.Timeout
            && x.MaxRequestBodySize == y.MaxRequestBodySize
            // The same formality on every route (the edge's matcher selects routes); YARP's value equality.
            && Equals(x.Match, y.Match)
            && SameEntries(x.Metadata, y.Metadata)
            && SameTransforms(x.Transforms, y.Transforms));

    public int GetHashCode(RouteConfig route)
    {
        var hash = new HashCode();
        hash.Add(route.ClusterId, StringComparer.Ordinal);
        hash.Add(route.RateLimiterPolicy, StringComparer.Ordinal);
        hash.Add(route.MaxRequestBodySize);
        hash.Add(EntriesHash(route.Metadata));
        foreach (var transform in route.Transforms ?? [])
        {
            hash.Add(EntriesHash(transform));
        }

        return hash.ToHashCode();
    }

    private static bool SameTransforms(IReadOnlyList<IReadOnlyDictionary<string, string>>? x, IReadOnlyList<IReadOnlyDictionary<string, string>>? y)
    {
        if (ReferenceEquals(x, y))
        {
            return true;
        }

        if ((x?.Count ?? 0) != (y?.Count ?? 0))
        {
            return false;
        }

        for (var i = 0; i < (x?.Count ?? 0); i++)
        {
            if (!SameEntries(x![i], y![i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The same keys (as the dictionary compares them: YARP reads transform keys ignoring case) with the
    /// same values (ordinal), whatever their order; null and empty are the same.
    /// </summary>
    private static bool SameEntries(IReadOnlyDictionary<string, string>? x, IReadOnlyDictionary<string, string>? y)
    {
        if (ReferenceEquals(x, y))
        {
            return true;
        }

        if ((x?.Count ?? 0) != (y?.Count ?? 0))
        {
            return false;
        }

        foreach (var (key, value) in x ?? Empty)
        {
            if (!y!.TryGetValue(key, out var other) || !string.Equals(value, other, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Independent of the entries' order, and of the keys' case (so it agrees with a dictionary that ignores it).</summary>
    private static int EntriesHash(IReadOnlyDictionary<string, string>? entries)
    {
        var hash = 0;
        foreach (var (key, value) in entries ?? Empty)
        {
            hash ^= HashCode.Combine(StringComparer.OrdinalIgnoreCase.GetHashCode(key), StringComparer.Ordinal.GetHashCode(value));
        }

        return hash;
    }
}
