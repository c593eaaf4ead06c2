using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Proxy.Edge.Matching;
using Orleans.Proxy.Edge.Routing;
using Orleans.Proxy.Routing;
using Orleans.Proxy.Hosting.Diagnostics;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Orleans.Proxy.Edge.Diagnostics;

/// <summary>
/// Answers /diag/explain: runs a made-up request through the edge's own matcher (the one that picks
/// the route of every proxied request, with the same path normalization), and asks the cluster's
/// load-balancing policy for a destination. Nothing is forwarded. The one side effect: a
/// round-robin cluster's next pick moves on by one.
/// </summary>
internal sealed class RequestExplainer(
    RouteTableCache cache,
    RouteMatcher matcher,
    IEnumerable<ILoadBalancingPolicy> loadBalancing,
    IEnumerable<IExplainDiagnostics> sections,
    IServiceProvider services)
{
    /// <param name="pathAndQuery">The path as a client would send it (percent-encoded), with an optional query.</param>
    public Task<object> ExplainAsync(string host, string pathAndQuery, IEnumerable<string> headers)
    {
        var context = new DefaultHttpContext { RequestServices = services };
        context.Request.Method = HttpMethods.Get;
        context.Request.Scheme = "http";
        context.Request.Host = new HostString(host);
        var queryStart = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        var rawPath = queryStart < 0 ? pathAndQuery : pathAndQuery[..queryStart];
        context.Request.QueryString = new QueryString(queryStart < 0 ? null : pathAndQuery[queryStart..]);
        foreach (var header in headers)
        {
            var colon = header.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                context.Request.Headers.Append(header[..colon].Trim(), header[(colon + 1)..].Trim());
            }
        }

        var result = matcher.Match(host, rawPath, context.Request);
        return Task.FromResult(Explain(context, host, pathAndQuery, result));
    }

    private object Explain(DefaultHttpContext context, string host, string pathAndQuery, RouteMatchResult result)
    {
        var table = cache.Current;
        var candidates = matcher.Table.Candidates(host).Select(c => Describe(c.Spec)).ToList();
        var route = result.Match?.Endpoint.Metadata.GetMetadata<RouteModel>();
        if (result.Match is null || route is null)
        {
            return new
            {
                host,
                path = pathAndQuery,
                normalizedPath = result.Path.IsValid ? result.Path.Path : null,
                matched = false,
                why = !result.Path.IsValid ? $"{result.Path.Error}: the edge answers 400"
                    : candidates.Count == 0
                    ? $"no route for host '{host}' and no default backend: the edge answers 404"
                    : $"none of the {candidates.Count} routes that could serve host '{host}' matches this path, headers and query: the edge answers 404",
                candidates,
                generation = table.Catalog.Generation,
            };
        }

        // As on the request path: later steps (and the sections below) see the route that was matched.
        var spec = result.Match.Route.Spec;
        context.Features.Set(result.Match);
        context.SetEndpoint(result.Match.Endpoint);
        var cluster = route.Cluster;
        var all = cluster?.DestinationsState.AllDestinations ?? [];
        var available = cluster?.DestinationsState.AvailableDestinations ?? [];
        var policyName = cluster?.Model.Config.LoadBalancingPolicy ?? LoadBalancingPolicies.PowerOfTwoChoices;
        var policy = loadBalancing.FirstOrDefault(p => string.Equals(p.Name, policyName, StringComparison.OrdinalIgnoreCase));
        var picked = cluster is null || available.Count == 0 ? null
            : available.Count == 1 ? available[0]
            : policy?.PickDestination(context, cluster, available);
        var why = new List<string>
        {
            $"route {route.Config.RouteId}{$" (from {spec.Source})"} is the first match in precedence order among {candidates.Count} candidate routes for this host",
            cluster is null ? $"its cluster {route.Config.ClusterId} is not loaded: the edge answers 503"
                : available.Count == 0 ? $"cluster {cluster.ClusterId} has no available destination ({all.Count} known): the edge answers 503"
                : available.Count == 1 ? $"cluster {cluster.ClusterId} has one available destination"
                : $"load balancing {policyName} picked it among {available.Count} available destinations",
        };
        return new
        {
            host,
            path = pathAndQuery,
            normalizedPath = result.Path.Path,
            forwardedPath = result.Match.ForwardedPath,
            matched = true,
            route = new
            {
                routeId = route.Config.RouteId,
                source = spec.Source,
                routeHost = spec.Host,
                routePath = spec.Path,
                pathMatch = spec.PathMatch.ToString(),
                headers = spec is { Headers.IsDefaultOrEmpty: false } ? spec.Headers.Select(h => $"{h.Name}={h.Value}") : null,
                query = spec is { Query.IsDefaultOrEmpty: false } ? spec.Query.Select(q => $"{q.Name}={q.Value}") : null,
                order = route.Config.Order,
            },
            cluster = route.Config.ClusterId,
            loadBalancing = policyName,
            destination = picked?.DestinationId,
            address = picked?.Model.Config.Address,
            destinations = all.Select(d => new
            {
                id = d.DestinationId,
                address = d.Model.Config.Address,
                available = available.Contains(d),
                activeHealth = d.Health.Active.ToString(),
                passiveHealth = d.Health.Passive.ToString(),
            }),
            why,
            candidates,
            sections = sections.ToDictionary(s => s.Section, s => s.Explain(context, route.Config.RouteId, route.Config.ClusterId), StringComparer.Ordinal),
            generation = table.Catalog.Generation,
        };
    }

    private static string Describe(RouteSpec r) =>
        $"{r.RouteId}: {r.Host} {r.Path} ({r.PathMatch}{(r.Headers.IsDefaultOrEmpty ? "" : ", headers")}{(r.Query.IsDefaultOrEmpty ? "" : ", query")}) -> {r.ClusterId}";
}
