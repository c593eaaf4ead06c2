using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Proxy.Edge.Diagnostics;
using Orleans.Proxy.Edge.Routing;
using Orleans.Proxy.Routing;
using Orleans.Proxy.Hosting.Diagnostics;
using Orleans.Proxy.IntegrationTests.Infrastructure;

using Orleans.Proxy.Testing;

namespace Orleans.Proxy.IntegrationTests.Operations;

/// <summary>The extension points features use: one registration each, shown in the JSON API and by the diag command.</summary>
public sealed class DiagnosticsSectionsTests
{
    [Fact]
    public async Task Sections_RegisteredWithOneCallEach_AppearInTheApiAndTheCommandTables()
    {
        await using var web = await TestBackend.StartAsync("web");
        using var routes = new TempDirectory();
        routes.Write("all.yaml", Manifests.ServiceFor("web", web) + "---\n" + Manifests.Ingress("web", "sections.test", ("/", "Prefix", "web")));
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path, configureServices: services => services
            .AddBackendDiagnosticsSection<GrainDestinations>()
            .AddClusterDiagnosticsView<HostVersions>()
            .AddEdgeDiagnosticsSection<ServedHosts>()
            .AddExplainDiagnosticsSection<MatchedRoute>());
        await edge.WaitForBackendAsync("sections.test", "/", "web");
        var version = (await edge.DiagAsync("/diag/cluster/hosts/sections.test")).GetProperty("version").GetInt64();

        var backend = await edge.DiagAsync("/diag/cluster/backends/test/web:80");
        Assert.Equal(web.Endpoint, backend.GetProperty("sections").GetProperty("grain-destinations")[0].GetProperty("destination").GetString());
        var view = await edge.DiagAsync("/diag/cluster/views/host-versions?host=sections.test");
        Assert.Equal(version, view[0].GetProperty("version").GetInt64());
        Assert.Equal(["affinity", "host-versions", "ratelimits"], (await edge.DiagAsync("/diag/cluster/views")).EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(version, (await edge.DiagAsync("/diag/edge")).GetProperty("sections").GetProperty("served")[0].GetProperty("version").GetInt64());
        var explain = await edge.DiagAsync("/diag/explain?host=sections.test&path=/a");
        Assert.Equal("test/web:80", explain.GetProperty("sections").GetProperty("matched")[0].GetProperty("cluster").GetString());

        var url = edge.Diagnostics.BaseAddress!.ToString();
        async Task<string> Run(params string[] args)
        {
            using var output = new StringWriter();
            Assert.Equal(0, await DiagnosticsCommand.RunAsync([.. args, "--url", url, "--token", TestEdge.DiagnosticsToken], output));
            return output.ToString();
        }

        var backendTable = await Run("backends", "test/web:80");
        Assert.Matches("grain-destinations:\nDESTINATION +ADDRESS\n", backendTable.ReplaceLineEndings("\n"));
        Assert.Contains($"{web.Endpoint}  http://{web.Endpoint}", backendTable, StringComparison.Ordinal);
        var viewTable = (await Run("view", "host-versions", "host=sections.test")).ReplaceLineEndings("\n");
        Assert.Equal($"HOST           VERSION\nsections.test  {version}\n", viewTable);
        Assert.Contains("served:", await Run("edge"), StringComparison.Ordinal);
        Assert.Contains("matched:", await Run("explain", "sections.test", "/a"), StringComparison.Ordinal);
    }

    /// <summary>Shaped like the health section: one row per destination, read from the backend grain.</summary>
    private sealed class GrainDestinations(IGrainFactory grains) : IBackendDiagnostics
    {
        public string Section => "grain-destinations";

        public async Task<IReadOnlyList<IReadOnlyDictionary<string, object?>>> DescribeAsync(string clusterId, CancellationToken cancellationToken) =>
            [.. (await grains.GetGrain<IBackendGrain>(clusterId).GetBackend()).Destinations
                .Select(d => new Dictionary<string, object?> { ["destination"] = d.Id, ["address"] = d.Address })];
    }

    /// <summary>Shaped like an affinity lookup: a query in, rows out.</summary>
    private sealed class HostVersions(IGrainFactory grains) : IClusterDiagnosticsView
    {
        public string Name => "host-versions";

        public async Task<IReadOnlyList<IReadOnlyDictionary<string, object?>>> QueryAsync(IQueryCollection query, CancellationToken cancellationToken) =>
            [.. (await grains.GetGrain<IRouteCatalogGrain>(IRouteCatalogGrain.DefaultKey).GetSnapshot()).Hosts
                .Where(h => h.Key == query["host"])
                .Select(h => new Dictionary<string, object?> { ["host"] = h.Key, ["version"] = h.Value })];
    }

    private sealed class ServedHosts(RouteTableCache cache) : IEdgeDiagnostics
    {
        public string Section => "served";

        public IReadOnlyList<IReadOnlyDictionary<string, object?>> Describe() =>
            [.. cache.Current.Hosts.Values.Select(h => new Dictionary<string, object?> { ["host"] = h.Host, ["version"] = h.Version })];
    }

    private sealed class MatchedRoute : IExplainDiagnostics
    {
        public string Section => "matched";

        public IReadOnlyList<IReadOnlyDictionary<string, object?>> Explain(HttpContext request, string? routeId, string? clusterId) =>
            [new Dictionary<string, object?> { ["route"] = routeId, ["cluster"] = clusterId }];
    }
}
