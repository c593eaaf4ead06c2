using Yarp.ReverseProxy.Configuration;

namespace Orleans.Proxy.Edge.Routing;

/// <summary>
/// The YARP routes the edge hands YARP: one per proxy behaviour. Routes whose YARP configuration
/// differs only in RouteId and Order (they differ in what they match, which the edge's own matcher
/// decides) share one, so a change that only adds, removes or moves paths and hosts onto behaviours
/// already served leaves YARP's configuration as it is, and YARP's update, a walk of every route and
/// cluster, is skipped. Ids are never reused: a compiled route that still names an old id finds no
/// endpoint rather than another behaviour's. Not thread-safe: <see cref="RouteTableCache"/> applies one table at a time.
/// </summary>
internal sealed class SharedRoutes
{
    private readonly Dictionary<RouteConfig, SharedRoute> _byBehaviour = new(RouteBehaviourComparer.Instance);

    // Routes whose last use went, each listed once. The matcher serves the previous table until it
    // applies the new one, and that table may still name a route released by the table being
    // applied: YARP keeps such a route until its first update after the matcher moved on.
    private readonly List<SharedRoute> _released = [];
    private long _lastId;

    // Counts the matcher's applies: a route released during apply N is named by no table after N.
    private long _apply;

    /// <summary>How many YARP routes are held (used, or released and not yet dropped).</summary>
    public int Count => _byBehaviour.Count;

    /// <summary>True once a route was added that YARP does not have yet.</summary>
    public bool Added { get; private set; }

    /// <summary>The route with the behaviour of <paramref name="behaviour"/> (its RouteId and Order aside), one use more.</summary>
    public bool TryUse(RouteConfig behaviour, out SharedRoute route)
    {
        if (!_byBehaviour.TryGetValue(behaviour, out route!))
        {
            return false;
        }

        route.Users++;
        return true;
    }

    /// <summary>The behaviour with an id of its own, for a route that none served (validate it, then <see cref="Add"/> it).</summary>
    public RouteConfig WithNewId(RouteConfig behaviour) =>
        behaviour with { RouteId = $"{behaviour.ClusterId ?? "route"}#{++_lastId}" };

    /// <summary>A route from <see cref="WithNewId"/> that YARP accepts, with its first use.</summary>
    public SharedRoute Add(RouteConfig config)
    {
        var route = new SharedRoute(config) { Users = 1 };
        _byBehaviour.Add(config, route);
        Added = true;
        return route;
    }

    public void Release(SharedRoute route)
    {
        if (--route.Users > 0)
        {
            return;
        }

        route.ReleasedIn = _apply;
        if (!route.Listed)
        {
            route.Listed = true;
            _released.Add(route);
        }
    }

    /// <summary>
    /// The routes for YARP's next update, once released routes no table of the matcher names any
    /// more are dropped (each handed to <paramref name="dropped"/>); the caller updates YARP with
    /// them, then calls <see cref="Updated"/>.
    /// </summary>
    public IEnumerable<RouteConfig> ForUpdate(Action<RouteConfig> dropped)
    {
        _released.RemoveAll(route =>
        {
            if (route.Users == 0 && route.ReleasedIn == _apply)
            {
                return false;
            }

            // Used again since it was released, or released before the matcher's last apply.
            route.Listed = false;
            if (route.Users == 0)
            {
                _byBehaviour.Remove(route.Config);
                dropped(route.Config);
            }

            return true;
        });
        return _byBehaviour.Values.Select(r => r.Config);
    }

    /// <summary>YARP holds what <see cref="ForUpdate"/> gave it.</summary>
    public void Updated() => Added = false;

    /// <summary>The matcher serves the new table: what it released is named by no route it serves.</summary>
    public void MatcherApplied() => _apply++;

    /// <summary>One YARP route and how many routes of the table use it.</summary>
    internal sealed class SharedRoute(RouteConfig config)
    {
        public RouteConfig Config { get; } = config;

        public int Users { get; set; }

        /// <summary>In the released list.</summary>
        public bool Listed { get; set; }

        /// <summary>The apply its last use went in.</summary>
        public long ReleasedIn { get; set; }
    }
}
