namespace Orleans.Proxy.Routing;

internal sealed class HostRouteGrain : Grain, IHostRouteGrain
{
    private readonly NewestVersion<HostRoutes> _routes = new();

    public Task<bool> SetRoutes(HostRoutes routes) => Task.FromResult(_routes.TrySet(routes));

    public Task<HostRoutes> GetRoutes() => Task.FromResult(_routes.Value ?? HostRoutes.Empty(this.GetPrimaryKeyString()));
}
