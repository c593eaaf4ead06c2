using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Orleans.Proxy.Edge.IngressFeatures;

/// <summary>
/// rewrite-target: the path sent to the backend is the target with $1, $2... replaced by the
/// groups of the route's path regex, as nginx's "rewrite ... break"; the query string is kept.
/// </summary>
internal sealed class RewriteTransformProvider : ITransformProvider
{
    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        if (IngressRouteFeatures.For(context.Route) is not { PathRegex: { } regex, Features.RewriteTarget: { } target })
        {
            return;
        }

        context.AddRequestTransform(transform =>
        {
            var match = regex.Match(transform.HttpContext.Request.Path.Value ?? "/");
            if (match.Success)
            {
                transform.Path = new PathString(match.Result(target));
            }

            return ValueTask.CompletedTask;
        });
    }
}
