using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Orleans.Proxy.Edge.Affinity;
using Orleans.Proxy.Edge.Caching;
using Orleans.Proxy.Edge.Health;
using Orleans.Proxy.Edge.Hosting;
using Orleans.Proxy.Edge.RateLimiting;
using Orleans.Proxy.Edge.Routing;
using Orleans.Proxy.Hosting;
using Orleans.Proxy.Hosting.Diagnostics;
using Orleans.Proxy.Edge.Tls;

namespace Orleans.Proxy.Edge.Diagnostics;

/// <summary>The edge's diagnostics API: what this edge serves, how it is connected, and where a request would go.</summary>
internal static class DiagnosticsEndpoints
{
    public static void MapEdgeDiagnostics(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/health/live", () => Results.Ok(new { status = "live" }));
        endpoints.MapGet("/health/ready", (RouteTableCache cache, EdgeDrain drain) => drain.Draining
            ? Results.Json(new { status = "draining", reason = "the edge is stopping: it serves on for its drain period, then exits" }, statusCode: StatusCodes.Status503ServiceUnavailable)
            : cache.AppliedAt is null
            ? Results.Json(new { status = "not ready", reason = "no routing table loaded from the cluster yet" }, statusCode: StatusCodes.Status503ServiceUnavailable)
            : !cache.FirstPublished.IsCompleted
            ? Results.Json(new { status = "not ready", reason = "connected, but the route source has not published a routing table yet (see the silos' logs)" }, statusCode: StatusCodes.Status503ServiceUnavailable)
            : Results.Ok(new { status = "ready", generation = cache.Current.Catalog.Generation }));

        // The token is checked for the whole diagnostics listener (DiagnosticsToken).
        var diag = endpoints.MapGroup("/diag");
        diag.MapGet("/edge", (RouteTableCache cache, ClusterConnection connection, CatalogSync sync, EdgeIdentity identity, IEnumerable<IEdgeDiagnostics> sections) =>
        {
            var table = cache.Current;
            return new
            {
                edgeId = identity.Id,
                version = ProxyVersion.Current,
                generation = table.Catalog.Generation,
                appliedAt = cache.AppliedAt,
                incomplete = sync.Incomplete,
                connection = new
                {
                    connected = connection.Connected,
                    lastContact = connection.LastContact,
                    disconnectedSince = connection.DisconnectedSince,
                    lastError = connection.LastError,
                },
                degraded = !connection.Connected || sync.Incomplete,
                hosts = table.Hosts.Count,
                backends = table.Backends.Count,
                rejections = table.Catalog.Rejections.Length,
                invalidRoutes = cache.InvalidRoutes,
                sections = sections.ToDictionary(s => s.Section, s => s.Describe(), StringComparer.Ordinal),
            };
        });
        diag.MapGet("/hosts", (RouteTableCache cache) =>
        {
            var table = cache.Current;
            return new
            {
                generation = table.Catalog.Generation,
                hosts = table.Hosts.Values.OrderBy(h => h.Host, StringComparer.Ordinal).Select(h => new { host = h.Host, version = h.Version, routes = h.Routes.Length }),
            };
        });
        diag.MapGet("/hosts/{host}", (string host, RouteTableCache cache) =>
            cache.Current.Hosts.TryGetValue(host.ToLowerInvariant(), out var routes)
                ? Results.Ok(routes)
                : Results.NotFound(new { error = $"host '{host}' is not in this edge's routing table" }));
        diag.MapBackendDiagnostics();
        diag.MapAffinityDiagnostics();
        diag.MapGet("/rejections", (RouteTableCache cache) => cache.Current.Catalog.Rejections);
        diag.MapGet("/explain", async (string host, string path, string? method, bool? https, HttpRequest request, RequestExplainer explainer) =>
            Results.Ok(await explainer.ExplainAsync(host, path.StartsWith('/') ? path : "/" + path, request.Query["header"].OfType<string>(), method ?? HttpMethods.Get, https ?? false)));
        diag.MapRateLimitDiagnostics();
        diag.MapTlsDiagnostics();
        diag.MapGrainCallDiagnostics();
        diag.MapCacheDiagnostics();
    }
}
