using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Orleans.Proxy.Edge.IngressNginx;

/// <summary>
/// The header changes of <see cref="Routing.NginxRouteSpec"/>, as YARP transforms built once per route
/// configuration: upstream-vhost replaces the Host sent upstream, x-forwarded-prefix sets
/// X-Forwarded-Prefix, and custom-headers sets headers on every answer (errors included, as nginx's
/// more_set_headers does).
/// </summary>
internal sealed class NginxRouteTransformProvider : ITransformProvider
{
    public const string ForwardedPrefixHeader = "X-Forwarded-Prefix";

    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        if (NginxRouteFeatures.For(context.Route) is not { } spec)
        {
            return;
        }

        if (spec.ForwardedPrefix is { } prefix)
        {
            // YARP's default X-Forwarded-* transforms would set X-Forwarded-Prefix from the path base (none):
            // the same three others, and this prefix instead.
            context.AddXForwardedFor();
            context.AddXForwardedProto();
            context.AddXForwardedHost();
            context.AddRequestHeader(ForwardedPrefixHeader, prefix, append: false);
        }

        if (spec.UpstreamHost is { } host)
        {
            // After the headers are copied (the route keeps the client's Host): this one replaces it.
            context.AddRequestTransform(transform =>
            {
                transform.ProxyRequest.Headers.Host = host;
                return ValueTask.CompletedTask;
            });
        }

        foreach (var header in spec.ResponseHeaders.IsDefault ? [] : spec.ResponseHeaders)
        {
            context.AddResponseHeader(header.Name, header.Value, append: false, ResponseCondition.Always);
        }
    }
}
