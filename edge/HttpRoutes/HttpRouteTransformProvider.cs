using Orleans.Proxy.Routing;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Orleans.Proxy.Edge.HttpRoutes;

/// <summary>
/// The HTTPRoute filters that change what is forwarded, as YARP transforms of the route (built once
/// per route configuration; an Ingress route gets none): RequestHeaderModifier on the upstream
/// request, ResponseHeaderModifier on the client's response (set, then add, then remove; names are
/// case-insensitive), and the URLRewrite hostname as the Host sent upstream. The URLRewrite path is
/// the matcher's forwarded path (<see cref="Matching.CompiledRoute.ForwardedPath"/>).
/// </summary>
internal sealed class HttpRouteTransformProvider : ITransformProvider
{
    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        if (context.Route is not { } route || HttpRouteFilters.For(route) is not { } filters)
        {
            return;
        }

        var rule = filters.Rule;
        if (rule.RequestHeaders is { } request)
        {
            Apply(request,
                (name, value) => context.AddRequestHeader(name, value, append: false),
                (name, value) => context.AddRequestHeader(name, value, append: true),
                name => context.AddRequestHeaderRemove(name));
        }

        if (rule.ResponseHeaders is { } response)
        {
            Apply(response,
                (name, value) => context.AddResponseHeader(name, value, append: false, ResponseCondition.Always),
                (name, value) => context.AddResponseHeader(name, value, append: true, ResponseCondition.Always),
                name => context.AddResponseHeaderRemove(name, ResponseCondition.Always));
        }

        if (rule.Rewrite?.Hostname is { } hostname)
        {
            // After the headers are copied (the route keeps the client's Host): this one replaces it.
            context.AddRequestTransform(transform =>
            {
                transform.ProxyRequest.Headers.Host = hostname;
                return ValueTask.CompletedTask;
            });
        }
    }

    /// <summary>The spec's order: set (replace), add (one more value), remove.</summary>
    private static void Apply(HeaderModifier modifier, Action<string, string> set, Action<string, string> add, Action<string> remove)
    {
        foreach (var header in modifier.Set.IsDefault ? [] : modifier.Set)
        {
            set(header.Name, header.Value);
        }

        foreach (var header in modifier.Add.IsDefault ? [] : modifier.Add)
        {
            add(header.Name, header.Value);
        }

        foreach (var name in modifier.Remove.IsDefault ? [] : modifier.Remove)
        {
            remove(name);
        }
    }
}
