using Yarp.ReverseProxy.Configuration;

namespace Orleans.Proxy.Edge.Routing;

/// <summary>
/// YARP's validator, remembering the route and cluster objects it accepted while they are served.
/// YARP validates every route it holds on every update, while <see cref="RouteTableCache"/> hands it the
/// same objects for everything unchanged, and has validated each when it built it; an accepted object
/// (immutable) is not validated again. Keyed by reference, so an
/// equal but new object is validated; refusals are not remembered. The cache forgets an object when
/// it stops serving it, so what is held is what YARP is given.
/// </summary>
internal sealed class ConfigValidationCache(IConfigValidator validator) : IConfigValidator
{
    private readonly Lock _lock = new();
    private readonly HashSet<object> _accepted = new(ReferenceEqualityComparer.Instance);

    public ValueTask<IList<Exception>> ValidateRouteAsync(RouteConfig route) =>
        IsAccepted(route) ? ValueTask.FromResult<IList<Exception>>([]) : RememberAsync(route, validator.ValidateRouteAsync(route));

    public ValueTask<IList<Exception>> ValidateClusterAsync(ClusterConfig cluster) =>
        IsAccepted(cluster) ? ValueTask.FromResult<IList<Exception>>([]) : RememberAsync(cluster, validator.ValidateClusterAsync(cluster));

    /// <summary>A route or cluster no longer served.</summary>
    public void Forget(object config)
    {
        lock (_lock)
        {
            _accepted.Remove(config);
        }
    }

    private bool IsAccepted(object config)
    {
        lock (_lock)
        {
            return _accepted.Contains(config);
        }
    }

    private async ValueTask<IList<Exception>> RememberAsync(object config, ValueTask<IList<Exception>> validation)
    {
        var errors = await validation;
        if (errors.Count == 0)
        {
            lock (_lock)
            {
                _accepted.Add(config);
            }
        }

        return errors;
    }
}
