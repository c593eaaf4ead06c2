using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Orleans.Proxy.Edge.Matching;

/// <summary>
/// Every route sends the backend the path matching read: the normalized path (or its rewrite-target),
/// byte for byte, with the query string as received. YARP's own URI building treats the path as
/// decoded and escapes its '%', which turned "%2F" into "%252F"; this sets the request URI itself.
/// </summary>
internal sealed class ForwardedPathTransformProvider : ITransformProvider
{
    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context) => context.AddRequestTransform(static transform =>
    {
        if (transform.HttpContext.Features.Get<RouteMatchFeature>() is { } match)
        {
            transform.ProxyRequest.RequestUri = DestinationUri(transform.DestinationPrefix, match.ForwardedPath, transform.HttpContext.Request.QueryString);
        }

        return ValueTask.CompletedTask;
    });

    /// <summary>The destination's prefix (scheme, authority, optional base path), then the path, then the raw query.</summary>
    internal static Uri DestinationUri(string destinationPrefix, string path, QueryString query)
    {
        var prefix = destinationPrefix.EndsWith('/') ? destinationPrefix.AsSpan(0, destinationPrefix.Length - 1) : destinationPrefix;
        return new Uri(string.Concat(prefix, path, query.ToUriComponent()), UriKind.Absolute);
    }
}
