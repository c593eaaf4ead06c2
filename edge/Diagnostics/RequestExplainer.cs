using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Proxy.Edge.Routing;
using Orleans.Proxy.Routing;
using Orleans.Proxy.Hosting.Diagnostics;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Orleans.Proxy.Edge.Diagnostics;

/// <summary>
/// Answers /diag/explain: runs a made-up request through ASP.NET Core routing over YARP's own
/// endpoints (the matcher the public listener uses, with YARP's host, header and query policies),
/// stops before the endpoint runs, and asks the cluster's load-balancing policy for a destination.
/// Nothing is forwarded. The one side effect: a round-robin cluster's next pick moves on by one.
/// </summary>
internal sealed class RequestExplainer(
    RouteTableCache cache,
    IEnumerable<ILoadBalancingPolicy> loadBalancing,
    IEnumerable<IExplainDiagnostics> sections,
    IServiceProvider services)
{
    private RequestDelegate? _match;

    /// <summary>Routing alone, over the given (YARP's) endpoint sources; built once at start.</summary>
    public void UseEndpoints(IApplicationBuilder app, IReadOnlyList<EndpointDataSource> yarpSources)
    {
        var pipeline = app.New();
        pipeline.UseRouting();
        // Terminal: the endpoint is selected by UseRouting above and never executed.
        pipeline.Use((HttpContext _, RequestDelegate _) => Task.CompletedTask);
        pipeline.UseEndpoints(endpoints =>
        {
            foreach (var source in yarpSources)
            {
                endpoints.DataSources.Add(source);
            }
        });
        _match = pipeline.Build();
    }

    public async Task<object> ExplainAsync(string host, string pathAndQuery, IEnumerable<string> headers)
    {
        var context = new DefaultHttpContext { RequestServices = services };
        context.Request.Method = HttpMethods.Get;
        context.Request.Scheme = "http";
        context.Request.Host = new HostString(host);
        var queryStart = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        context.Request.Path = new PathString(queryStart < 0 ? pathAndQuery : pathAndQuery[..queryStart]);
        context.Request.QueryString = new QueryString(queryStart < 0 ? null : pathAndQuery[queryStart..]);
        foreach (var header in headers)
        {
            var colon = header.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                context.Request.Headers.Append(header[..colon].Trim(), header[(colon + 1)..].Trim());
            }
        }

        await (_match ?? throw new InvalidOperationException("The explain pipeline is built at start")).Invoke(context);
        var table = cache.Current;
        var route = context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>();
        var candidates = CandidateRoutes(table, host);
        if (route is null)
        {
            return new
            {
                host,
                path = pathAndQuery,
                matched = false,
                why = candidates.Count == 0
                    ? $"no route for host '{host}' and no default backend: the edge answers 404"
                    : $"none of the {candidates.Count} routes that could serve host '{host}' matches this path, headers and query: the edge answers 404",
                candidates,
                generation = table.Catalog.Generation,
            };
        }

        var spec = table.Hosts.Values.SelectMany(h => h.Routes).FirstOrDefault(r => r.RouteId == route.Config.RouteId);
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
            $"route {route.Config.RouteId}{(spec is null ? "" : $" (from {spec.Source})")} is the first match in YARP's order ({route.Config.Order}) among {candidates.Count} candidate routes for this host",
            cluster is null ? $"its cluster {route.Config.ClusterId} is not loaded: the edge answers 503"
                : available.Count == 0 ? $"cluster {cluster.ClusterId} has no available destination ({all.Count} known): the edge answers 503"
                : available.Count == 1 ? $"cluster {cluster.ClusterId} has one available destination"
                : $"load balancing {policyName} picked it among {available.Count} available destinations",
        };
        return new
        {
            host,
            path = pathAndQuery,
            matched = true,
            route = new
            {
                routeId = route.Config.RouteId,
                source = spec?.Source,
                routeHost = spec?.Host,
                routePath = spec?.Path,
                pathMatch = spec?.PathMatch.ToString(),
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

    /// <summary>The routes that could serve <paramref name="host"/> (its own, wildcard, any-host and default backend), in YARP's order.</summary>
    private static List<string> CandidateRoutes(RouteTable table, string host)
    {
        var name = host.Split(':')[0].ToLowerInvariant();
        return table.Hosts.Values.SelectMany(h => h.Routes)
            .Where(r => r.Host == name || r.Host == "*" || (r.Host.StartsWith("*.", StringComparison.Ordinal) && name.EndsWith(r.Host[1..], StringComparison.Ordinal)))
            .OrderBy(YarpConfigBuilder.Order)
            .Select(Describe)
            .ToList();
    }

    private static string Describe(RouteSpec r) =>
        $"{r.RouteId}: {r.Host} {r.Path} ({r.PathMatch}{(r.Headers.IsDefaultOrEmpty ? "" : ", headers")}{(r.Query.IsDefaultOrEmpty ? "" : ", query")}) -> {r.ClusterId}";
}
