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
    /// <param name="method">The request method (HTTPRoute matches can name one).</param>
    /// <param name="https">As on the HTTPS listener (HTTPRoute routes can be served on one listener kind only).</param>
    public Task<object> ExplainAsync(string host, string pathAndQuery, IEnumerable<string> headers, string method = "GET", bool https = false)
    {
        var context = new DefaultHttpContext { RequestServices = services };
        context.Request.Method = method.ToUpperInvariant();
        context.Request.Scheme = https ? "https" : "http";
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
        var clusterId = cluster?.ClusterId ?? spec.ClusterId;
        var all = cluster?.DestinationsState.AllDestinations ?? [];
        var available = cluster?.DestinationsState.AvailableDestinations ?? [];
        var policyName = cluster?.Model.Config.LoadBalancingPolicy ?? LoadBalancingPolicies.PowerOfTwoChoices;
        var policy = loadBalancing.FirstOrDefault(p => string.Equals(p.Name, policyName, StringComparison.OrdinalIgnoreCase));
        var picked = cluster is null || available.Count == 0 ? null
            : available.Count == 1 ? available[0]
            : policy?.PickDestination(context, cluster, available);
        var why = new List<string>
        {
            $"route {spec.RouteId} ({Rule(spec)}) is the first match among {candidates.Count} candidate routes for this host, in "
                + (spec.HttpRoute is null
                    ? "the Ingress spec's order: exact host, then wildcard, then no host; longest path; Exact before Prefix at equal length; then header and query matches"
                    : "Gateway API's order: most specific hostname; Exact path, then longest prefix; method; most header matches; most query matches; then oldest route, namespace/name, rule and match index"),
            spec.HttpRoute?.Redirect is { } redirect ? $"its RequestRedirect filter answers {redirect.StatusCode}: nothing is forwarded"
                : spec.ClusterId.Length == 0 && spec.HttpRoute is { Backends.IsDefaultOrEmpty: true } ? "the rule has no valid backend: the edge answers 500, as the Gateway API says"
                : spec.HttpRoute is { Backends.IsDefaultOrEmpty: false } split ? $"the rule splits traffic by weight: {string.Join(", ", split.Backends.Select(b => $"{(b.ClusterId.Length == 0 ? "invalid (500)" : b.ClusterId)} {b.Weight}"))}; shown: {clusterId}"
                : cluster is null ? $"its cluster {clusterId} is not loaded: the edge answers 503"
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
                routeId = spec.RouteId,
                source = spec.Source,
                rule = Rule(spec),
                method = spec.HttpRoute?.Method,
                filters = spec.HttpRoute is { } rule ? Filters(rule) : null,
                routeHost = spec.Host,
                routePath = spec.Path,
                pathMatch = spec.PathMatch.ToString(),
                headers = spec is { Headers.IsDefaultOrEmpty: false } ? spec.Headers.Select(h => $"{h.Name}{(h.Kind == ValueMatchKind.RegularExpression ? "~" : "=")}{h.Value}") : null,
                query = spec is { Query.IsDefaultOrEmpty: false } ? spec.Query.Select(q => $"{q.Name}{(q.Kind == ValueMatchKind.RegularExpression ? "~" : "=")}{q.Value}") : null,
                order = RoutePrecedence.Rank(spec),
                // The YARP route that proxies it, which routes differing only in what they match share.
                proxyRoute = route.Config.RouteId,
            },
            cluster = clusterId,
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
            sections = sections.ToDictionary(s => s.Section, s => s.Explain(context, spec.RouteId, clusterId), StringComparer.Ordinal),
            generation = table.Catalog.Generation,
        };
    }

    private static string Describe(RouteSpec r) =>
        $"{r.RouteId}: {r.Host} {r.PathRegex ?? r.Path} ({(r.PathRegex is null ? r.PathMatch : "RegularExpression")}{(r.HttpRoute?.Method is { } m ? $", {m}" : "")}"
        + $"{(r.Headers.IsDefaultOrEmpty ? "" : ", headers")}{(r.Query.IsDefaultOrEmpty ? "" : ", query")}) -> {(r.ClusterId.Length == 0 ? "(no backend)" : r.ClusterId)}";

    /// <summary>The object and the field the route came from: "Ingress ns/name spec.rules[0].http.paths[1]", "HTTPRoute ns/name spec.rules[2].matches[0]".</summary>
    private static string Rule(RouteSpec spec)
    {
        var id = spec.RouteId;
        var hash = id.LastIndexOf('#');
        var at = id.IndexOf('@', Math.Max(hash, 0));
        var indexes = hash < 0 ? [] : id[(hash + 1)..(at < 0 ? id.Length : at)].Split('.');
        return indexes switch
        {
            [var rule, var match] when spec.HttpRoute is not null => $"{spec.Source} spec.rules[{rule}].matches[{match}]",
            [var rule, var path] => $"{spec.Source} spec.rules[{rule}].http.paths[{path}]",
            _ => spec.IsDefaultBackend ? $"{spec.Source} spec.defaultBackend" : spec.Source,
        };
    }

    private static IEnumerable<string> Filters(HttpRouteRule rule) =>
        new[]
        {
            rule.Redirect is { } r ? $"RequestRedirect {r.StatusCode} {r.Scheme ?? "(same scheme)"}://{r.Hostname ?? "(same host)"}{(r.Port is { } p ? $":{p}" : "")} {r.Path?.Kind} {r.Path?.Value}" : null,
            rule.Rewrite is { } w ? $"URLRewrite {w.Hostname ?? "(same host)"} {w.Path?.Kind} {w.Path?.Value}" : null,
            rule.RequestHeaders is not null ? "RequestHeaderModifier" : null,
            rule.ResponseHeaders is not null ? "ResponseHeaderModifier" : null,
        }.OfType<string>().Concat(rule.Mirrors.IsDefaultOrEmpty ? [] : rule.Mirrors.Select(m => $"RequestMirror {m.ClusterId} {m.Percent}%"));
}
