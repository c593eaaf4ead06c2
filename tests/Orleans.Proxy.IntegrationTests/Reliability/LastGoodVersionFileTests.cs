using System.Net;
using Orleans.Proxy.IntegrationTests.Infrastructure;
using Orleans.Proxy.Testing;
using Orleans.Proxy.Translation.Ingress.LastGood;

namespace Orleans.Proxy.IntegrationTests.Reliability;

/// <summary>File mode: an edit that breaks one Ingress keeps its previous version serving until it is fixed or deleted.</summary>
public sealed class LastGoodVersionFileTests
{
    [Fact]
    public async Task RouteFiles_EditRefusedWhole_PreviousVersionServesUntilDeleted()
    {
        await using var web = await TestBackend.StartAsync("web");
        using var routes = new TempDirectory();
        routes.Write("services.yaml", Manifests.ServiceFor("web", web));
        routes.Write("ingress.yaml", Manifests.Ingress("app", "app.test", ("/v1", "Prefix", "web")));
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path);
        await edge.WaitForBackendAsync("app.test", "/v1", "web");

        // An apiVersion the reader does not know: the new version cannot even be built.
        routes.Write("ingress.yaml", Manifests.Ingress("app", "app.test", ("/v2", "Prefix", "web")).Replace("networking.k8s.io/v1", "networking.k8s.io/v2", StringComparison.Ordinal));
        await WaitForServingPreviousAsync(edge);
        Assert.StartsWith("200 web app.test /v1", await edge.GetBodyAsync("app.test", "/v1"));
        Assert.Equal("404 ", await edge.GetBodyAsync("app.test", "/v2"));

        // A source range that does not parse refuses the whole Ingress (it would widen access).
        routes.Write("ingress.yaml", Manifests.IngressWithAnnotations("app", "app.test",
            new Dictionary<string, string> { ["nginx.ingress.kubernetes.io/whitelist-source-range"] = "not-a-network" }, ("/v3", "Prefix", "web")));
        await Eventually.Until(async () => (await Rejections(edge)).Any(r => r.Contains("whitelist-source-range", StringComparison.Ordinal)), "the bad annotation is reported");
        await WaitForServingPreviousAsync(edge);
        Assert.StartsWith("200 web app.test /v1", await edge.GetBodyAsync("app.test", "/v1"));

        // Deleted: the file keeps only a comment (an emptied file keeps its last good content, as a half-written one would).
        routes.Write("ingress.yaml", "# app is gone\n");
        await Eventually.Until(async () => (await edge.GetAsync("app.test", "/v1")).StatusCode == HttpStatusCode.NotFound, "the deleted Ingress is no longer served");
    }

    private static async Task WaitForServingPreviousAsync(TestEdge edge) =>
        await Eventually.Until(async () => (await Rejections(edge)).Any(r => r.StartsWith("Ingress test/app |", StringComparison.Ordinal)
            && r.Contains(LastGoodVersions.ServingPreviousVersion, StringComparison.Ordinal)), "the refused edit is reported as serving the previous version");

    private static async Task<List<string>> Rejections(TestEdge edge) =>
        [.. (await edge.DiagAsync("/diag/rejections")).EnumerateArray()
            .Select(r => $"{r.GetProperty("object").GetString()} | {r.GetProperty("field").GetString()} | {r.GetProperty("reason").GetString()}")];
}
