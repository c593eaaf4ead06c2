using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Orleans.Proxy.Routing;
using Orleans.Runtime;

namespace Orleans.Proxy.Hosting.Diagnostics;

/// <summary>
/// The cluster view at /diag/cluster: what the grains hold, read through whatever grain factory
/// this process has (a silo's, or an edge's cluster client), so every diagnostics port can answer it.
/// </summary>
internal static class ClusterDiagnosticsEndpoints
{
    public static RouteGroupBuilder MapClusterDiagnostics(this IEndpointRouteBuilder endpoints)
    {
        var cluster = endpoints.MapGroup("/diag/cluster").AddEndpointFilter(AnswerUnavailableWhenCutOff);
        cluster.MapGet("/hosts", async (IGrainFactory grains) =>
        {
            var catalog = await Catalog(grains).GetSnapshot();
            var hosts = await Task.WhenAll(catalog.Hosts.Keys.Order(StringComparer.Ordinal).Select(h => grains.GetGrain<IHostRouteGrain>(h).GetRoutes()));
            return new { generation = catalog.Generation, hosts };
        });
        cluster.MapGet("/hosts/{host}", async (string host, IGrainFactory grains) =>
        {
            var key = host.ToLowerInvariant();
            var catalog = await Catalog(grains).GetSnapshot();
            return catalog.Hosts.ContainsKey(key)
                ? Results.Ok(await grains.GetGrain<IHostRouteGrain>(key).GetRoutes())
                : Results.NotFound(new { error = $"host '{host}' is not in the catalog (generation {catalog.Generation})" });
        });
        cluster.MapGet("/backends", async (IGrainFactory grains) =>
        {
            var catalog = await Catalog(grains).GetSnapshot();
            var backends = await Task.WhenAll(catalog.Backends.Keys.Order(StringComparer.Ordinal).Select(b => grains.GetGrain<IBackendGrain>(b).GetBackend()));
            return new { generation = catalog.Generation, backends };
        });
        cluster.MapGet("/backends/{**id}", async (string id, IGrainFactory grains, IEnumerable<IBackendDiagnostics> sections, CancellationToken cancellationToken) =>
        {
            var catalog = await Catalog(grains).GetSnapshot();
            if (!catalog.Backends.ContainsKey(id))
            {
                return Results.NotFound(new { error = $"backend '{id}' is not in the catalog (ids look like namespace/service:port)" });
            }

            var backend = await grains.GetGrain<IBackendGrain>(id).GetBackend();
            var extra = new SortedDictionary<string, IReadOnlyList<IReadOnlyDictionary<string, object?>>>(StringComparer.Ordinal);
            foreach (var section in sections)
            {
                extra[section.Section] = await section.DescribeAsync(id, cancellationToken);
            }

            return Results.Ok(new { backend.ClusterId, backend.Version, backend.Destinations, sections = extra });
        });
        cluster.MapGet("/edges", async (IGrainFactory grains, TimeProvider time) =>
        {
            var catalog = Catalog(grains);
            var snapshot = await catalog.GetSnapshot();
            var now = time.GetUtcNow();
            var edges = (await catalog.GetEdges()).Select(e => new
            {
                e.EdgeId,
                e.AppliedGeneration,
                upToDate = e.AppliedGeneration >= snapshot.Generation,
                e.GenerationsBehind,
                e.BehindSince,
                lagSeconds = e.BehindSince is { } since ? Math.Round((now - since).TotalSeconds, 1) : 0,
                e.LastSeen,
            });
            return new { generation = snapshot.Generation, edges };
        });
        cluster.MapGet("/silos", async (IGrainFactory grains) =>
        {
            var silos = await grains.GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: false);
            return silos.OrderBy(s => s.SiloName, StringComparer.Ordinal).Select(s => new
            {
                name = s.SiloName,
                address = s.SiloAddress.ToString(),
                hostName = s.HostName,
                status = s.Status.ToString(),
                startTime = s.StartTime,
                lastAlive = s.IAmAliveTime,
            });
        });
        cluster.MapGet("/rejections", async (IGrainFactory grains) => (await Catalog(grains).GetSnapshot()).Rejections);
        cluster.MapGet("/views", (IEnumerable<IClusterDiagnosticsView> views) => views.Select(v => v.Name).Order(StringComparer.Ordinal));
        cluster.MapGet("/views/{name}", async (string name, HttpRequest request, IEnumerable<IClusterDiagnosticsView> views, CancellationToken cancellationToken) =>
            views.FirstOrDefault(v => string.Equals(v.Name, name, StringComparison.OrdinalIgnoreCase)) is { } view
                ? Results.Ok(await view.QueryAsync(request.Query, cancellationToken))
                : Results.NotFound(new { error = $"no view '{name}'; see /diag/cluster/views" }));
        cluster.MapCachePurge();
        return cluster;
    }

    private static IRouteCatalogGrain Catalog(IGrainFactory grains) => grains.GetGrain<IRouteCatalogGrain>(IRouteCatalogGrain.DefaultKey);

    /// <summary>An edge cut off from the silos still answers, with 503 and the reason, instead of a 500.</summary>
    private static async ValueTask<object?> AnswerUnavailableWhenCutOff(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (Exception e) when (e is OrleansException or TimeoutException or SiloUnavailableException or InvalidOperationException)
        {
            return Results.Json(new { error = $"the cluster did not answer: {e.GetType().Name}: {e.Message}" }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }
}
