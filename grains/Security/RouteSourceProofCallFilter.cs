namespace Orleans.Proxy.Security;

/// <summary>
/// On a silo, adds the <see cref="RouteSourceProof"/> to every call of a route-source-only method (the
/// route source's, through the silo's hosted client, and any grain's), and only to those.
/// </summary>
internal sealed class RouteSourceProofCallFilter(IRouteSourceKeys keys, TimeProvider time) : IOutgoingGrainCallFilter
{
    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        var required = keys.Keys;
        if (required.Count == 0 || !RouteSourceOnlyCallFilter.IsRouteSourceOnly(context.InterfaceMethod))
        {
            await context.Invoke();
            return;
        }

        RequestContext.Set(RouteSourceProof.ContextKey, RouteSourceProof.Make(required, RouteSourceProof.Method(context.InterfaceMethod), context.TargetId, time.GetUtcNow()));
        try
        {
            await context.Invoke();
        }
        finally
        {
            RequestContext.Remove(RouteSourceProof.ContextKey);
        }
    }
}
