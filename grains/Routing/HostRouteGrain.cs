namespace Orleans.Proxy.Routing;

internal sealed class HostRouteGrain : Grain, IHostRouteGrain
{
    private HostRoutes? _routes;

    public Task<bool> SetRoutes(HostRoutes routes)
    {
        if (_routes is not null && routes.Version <= _routes.Version)
        {
            return Task.FromResult(false);
        }

        _routes = routes;
        return Task.FromResult(true);
    }

    public Task<HostRoutes> GetRoutes() => Task.FromResult(_routes ?? HostRoutes.Empty(this.GetPrimaryKeyString()));
}
