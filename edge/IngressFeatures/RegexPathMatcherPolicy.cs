using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;
using Yarp.ReverseProxy.Model;

namespace Orleans.Proxy.Edge.IngressFeatures;

/// <summary>
/// Regex paths (use-regex, rewrite-target): YARP matches the literal prefix, this policy drops the
/// candidate when the whole regex does not match, so the next route in order can serve.
/// </summary>
internal sealed class RegexPathMatcherPolicy : MatcherPolicy, IEndpointSelectorPolicy
{
    // After YARP's header and query policies; the order among selector policies does not change the result.
    public override int Order => 100;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints) =>
        endpoints.Any(e => Regex(e) is not null);

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        var path = httpContext.Request.Path.Value ?? "/";
        for (var i = 0; i < candidates.Count; i++)
        {
            if (candidates.IsValidCandidate(i) && Regex(candidates[i].Endpoint) is { } regex && !Matches(regex, path))
            {
                candidates.SetValidity(i, false);
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>A regex that runs past its timeout does not match (the next route, or 404), rather than failing the request.</summary>
    private static bool Matches(System.Text.RegularExpressions.Regex regex, string path)
    {
        try
        {
            return regex.IsMatch(path);
        }
        catch (System.Text.RegularExpressions.RegexMatchTimeoutException)
        {
            return false;
        }
    }

    private static System.Text.RegularExpressions.Regex? Regex(Endpoint endpoint) =>
        IngressRouteFeatures.For(endpoint.Metadata.GetMetadata<RouteModel>()?.Config)?.PathRegex;
}
