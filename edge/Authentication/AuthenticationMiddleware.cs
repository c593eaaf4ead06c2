using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy;

namespace Orleans.Proxy.Edge.Authentication;

/// <summary>
/// ingress-nginx's auth-type: basic and auth-url at the edge, both when both are set (nginx's
/// "satisfy all"): a refused request is answered here and never reaches the backend.
/// </summary>
internal sealed class AuthenticationMiddleware(ExternalAuthenticator external)
{
    public Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (AuthenticationRoutes.For(context.GetReverseProxyFeature().Route.Config) is not { } auth)
        {
            return next(context);
        }

        if (auth.Basic is { } basic && !basic.Admits(context.Request.Headers.Authorization))
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = basic.Challenge;
            return Task.CompletedTask;
        }

        return auth.External is null ? next(context) : ExternalAsync(context, auth, next);
    }

    private async Task ExternalAsync(HttpContext context, RouteAuthentication auth, RequestDelegate next)
    {
        var spec = auth.External!;
        var (verdict, challenge) = await external.AuthenticateAsync(context, spec);
        switch (verdict)
        {
            case ExternalVerdict.Allowed:
                await next(context);
                return;
            case ExternalVerdict.Unauthorized when spec.SignIn is not null:
                context.Response.StatusCode = StatusCodes.Status302Found;
                context.Response.Headers.Location = ExternalAuthenticator.SignInLocation(context, spec);
                return;
            case ExternalVerdict.Unauthorized:
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                if (challenge is not null)
                {
                    context.Response.Headers[HeaderNames.WWWAuthenticate] = challenge;
                }

                return;
            case ExternalVerdict.Forbidden:
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return;
            default:
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                return;
        }
    }
}
