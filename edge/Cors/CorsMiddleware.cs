using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy;

namespace Orleans.Proxy.Edge.Cors;

/// <summary>
/// ingress-nginx's enable-cors at the edge: a preflight is answered here (204, with the policy's
/// headers when its origin is allowed) and never reaches the backend; another request from an
/// allowed origin gets Access-Control-Allow-Origin and the exposed headers on whatever answers it
/// (the backend, or a 401 of the authentication step after this one).
/// </summary>
internal sealed class CorsMiddleware(ICorsService cors)
{
    public Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (CorsRoutes.For(context.GetReverseProxyFeature().Route.Config) is not { } policy
            || !context.Request.Headers.ContainsKey(Microsoft.Net.Http.Headers.HeaderNames.Origin))
        {
            return next(context);
        }

        var result = cors.EvaluatePolicy(context, policy);
        if (result.IsPreflightRequest)
        {
            cors.ApplyResult(result, context.Response);
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return Task.CompletedTask;
        }

        if (result.IsOriginAllowed)
        {
            context.Response.OnStarting(() =>
            {
                cors.ApplyResult(result, context.Response);
                return Task.CompletedTask;
            });
        }

        return next(context);
    }
}
