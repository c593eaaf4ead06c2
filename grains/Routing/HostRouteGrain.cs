namespace Orleans.Proxy.Routing;

internal sealed class HostRouteGrain(TimeProvider time) : Grain, IHostRouteGrain
{
    private readonly NewestVersion<HostRoutes> _routes = new();

    public Task<VersionedWrite> SetRoutes(HostRoutes routes) => Task.FromResult(_routes.TrySet(routes, time.GetUtcNow()));

    public Task<HostRoutes> GetRoutes() => Task.FromResult(_routes.Value ?? HostRoutes.Empty(this.GetPrimaryKeyString()));
}
