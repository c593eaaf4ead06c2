using Orleans.Proxy.IntegrationTests.Infrastructure;
using Orleans.Proxy.Testing;

namespace Orleans.Proxy.IntegrationTests.Matching;

/// <summary>
/// Hostile paths sent byte for byte to a real edge: /admin is restricted (whitelist-source-range that
/// excludes 127.0.0.1) and served by its own backend, / is open. Each request's answer is asserted
/// with what reached which backend, exactly as it arrived there.
/// </summary>
public sealed class PathNormalizationEdgeTests
{
    private const string Guarded = "guarded.test";
    private const string Open = "open.test";

    private static string Routes(TestBackend admin, TestBackend web) => string.Join("---\n",
        Manifests.ServiceFor(admin.Name, admin),
        Manifests.ServiceFor(web.Name, web),
        Manifests.IngressWithAnnotations("admin", Guarded,
            new Dictionary<string, string> { ["nginx.ingress.kubernetes.io/whitelist-source-range"] = "10.0.0.0/8" }, ("/admin", "Prefix", admin.Name)),
        Manifests.Ingress("guarded-web", Guarded, ("/", "Prefix", web.Name)),
        Manifests.Ingress("open", Open, ("/admin", "Prefix", admin.Name), ("/", "Prefix", web.Name)));

    /// <summary>"status backend raw-target-it-received", or "status -" when no backend saw the request.</summary>
    private static async Task<string> Served(TestEdge edge, string host, string target, params TestBackend[] backends)
    {
        var before = backends.Select(b => b.Requests).ToArray();
        var (status, _) = await RawHttp.GetAsync(edge.PublicEndpoint, host, target);
        var reached = backends.Where((b, i) => b.Requests != before[i]).ToList();
        return reached.Count switch
        {
            0 => $"{status} -",
            1 => $"{status} {reached[0].Name} {reached[0].RawTargets.Last()}",
            _ => $"{status} {string.Join(",", reached.Select(b => b.Name))}",
        };
    }

    [Fact]
    public async Task Proxy_PathTricksOnRestrictedPath_RefusedByItsRuleNoBackendReached()
    {
        string[] tricks = ["/admin", "//admin", "/admin;x", "/admin/", "/%61dmin", "/x/../admin", "/./admin", "/%2e/admin",
            "/x/%2E%2E/admin/secret", "/public/..;/admin", "/;x/admin", "/admin/./", "///admin//x", "/x\\..\\admin"];
        await using var admin = await TestBackend.StartAsync("admin");
        await using var web = await TestBackend.StartAsync("web");
        using var routes = new TempDirectory();
        routes.Write("all.yaml", Routes(admin, web));
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path);
        await edge.WaitForBackendAsync(Guarded, "/", web.Name);

        var answers = new List<string>();
        foreach (var trick in tricks)
        {
            answers.Add($"{trick} {await Served(edge, Guarded, trick, admin, web)}");
        }

        Assert.Equal(tricks.Select(t => $"{t} 403 -"), answers);
    }

    [Fact]
    public async Task Proxy_PathsOutsideTheRestrictedPath_ServedByTheOpenRouteUnchanged()
    {
        await using var admin = await TestBackend.StartAsync("admin");
        await using var web = await TestBackend.StartAsync("web");
        using var routes = new TempDirectory();
        routes.Write("all.yaml", Routes(admin, web));
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path);
        await edge.WaitForBackendAsync(Guarded, "/", web.Name);

        // Paths are case-sensitive; an escaped slash is part of an element, not a separator, and is forwarded as it came.
        Assert.Equal("200 web /ADMIN", await Served(edge, Guarded, "/ADMIN", admin, web));
        Assert.Equal("200 web /admin%2F..", await Served(edge, Guarded, "/admin%2f..", admin, web));
        Assert.Equal("200 web /admin%2F", await Served(edge, Guarded, "/admin%2F", admin, web));
        Assert.Equal("200 web /adminx", await Served(edge, Guarded, "/adminx", admin, web));
        Assert.Equal(0, admin.Requests);
    }

    [Fact]
    public async Task Proxy_NormalizedPath_IsExactlyWhatTheBackendReceives()
    {
        await using var admin = await TestBackend.StartAsync("admin");
        await using var web = await TestBackend.StartAsync("web");
        using var routes = new TempDirectory();
        routes.Write("all.yaml", Routes(admin, web));
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path);
        await edge.WaitForBackendAsync(Open, "/", web.Name);

        Assert.Equal("200 admin /admin/a", await Served(edge, Open, "/x/../admin/a", admin, web));
        Assert.Equal("200 admin /admin/b/", await Served(edge, Open, "//admin//b/", admin, web));
        Assert.Equal("200 admin /admin/~", await Served(edge, Open, "/%61dmin/%7e", admin, web));
        Assert.Equal("200 admin /admin/a%2Fb", await Served(edge, Open, "/admin/a%2fb", admin, web));
        Assert.Equal("200 admin /admin/caf%C3%A9", await Served(edge, Open, "/admin/caf%c3%a9", admin, web));
        Assert.Equal("200 admin /admin/a%20b%25", await Served(edge, Open, "/admin/a%20b%25", admin, web));
        Assert.Equal("200 admin /admin;v=1/y", await Served(edge, Open, "/admin;v=1/y", admin, web));
        Assert.Equal("200 admin /admin/q?x=%2F&y=a%20b", await Served(edge, Open, "/admin/q?x=%2F&y=a%20b", admin, web));
        Assert.Equal("200 web /admin%2F", await Served(edge, Open, "/admin%2f", admin, web));

        // /diag/explain asks the same matcher: it names the route that serves and the path the backend gets.
        const string target = "/x/../admin/a%2fb";
        var explained = await edge.DiagAsync($"/diag/explain?host={Open}&path={Uri.EscapeDataString(target)}");
        Assert.Equal(("test/admin:80", "/admin/a%2Fb"), (explained.GetProperty("cluster").GetString(), explained.GetProperty("forwardedPath").GetString()));
        Assert.Equal("200 admin /admin/a%2Fb", await Served(edge, Open, target, admin, web));
    }

    [Fact]
    public async Task Proxy_MalformedPath_Answers400NoBackendReached()
    {
        await using var admin = await TestBackend.StartAsync("admin");
        await using var web = await TestBackend.StartAsync("web");
        using var routes = new TempDirectory();
        routes.Write("all.yaml", Routes(admin, web));
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path);
        await edge.WaitForBackendAsync(Open, "/", web.Name);

        Assert.Equal("400 -", await Served(edge, Open, "/admin%zz", admin, web));
        Assert.Equal("400 -", await Served(edge, Open, "/admin%00", admin, web));
        Assert.Equal("400 -", await Served(edge, Open, "/admin%", admin, web));
        // Not a path at all (Kestrel refuses it before the matcher).
        Assert.Equal("400 -", await Served(edge, Open, "\\admin", admin, web));
    }

    [Fact]
    public async Task Proxy_EscapedSlashesAndPathParametersRejectedBySettings_Answer400()
    {
        await using var admin = await TestBackend.StartAsync("admin");
        await using var web = await TestBackend.StartAsync("web");
        using var routes = new TempDirectory();
        routes.Write("all.yaml", Routes(admin, web));
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path, new Dictionary<string, string?>
        {
            ["Matching:EscapedSlashes"] = "Reject",
            ["Matching:PathParameters"] = "Reject",
        });
        await edge.WaitForBackendAsync(Open, "/", web.Name);

        Assert.Equal("400 -", await Served(edge, Open, "/admin%2f", admin, web));
        Assert.Equal("400 -", await Served(edge, Open, "/x%5C..", admin, web));
        Assert.Equal("400 -", await Served(edge, Open, "/admin;x", admin, web));
        Assert.Equal("200 admin /admin/x", await Served(edge, Open, "/admin/x", admin, web));
    }

    [Fact]
    public async Task Proxy_EscapedSlashesUnescapedBySetting_MatchedAndForwardedDecoded()
    {
        await using var admin = await TestBackend.StartAsync("admin");
        await using var web = await TestBackend.StartAsync("web");
        using var routes = new TempDirectory();
        routes.Write("all.yaml", Routes(admin, web));
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path, new Dictionary<string, string?> { ["Matching:EscapedSlashes"] = "Unescape" });
        await edge.WaitForBackendAsync(Guarded, "/", web.Name);

        Assert.Equal("403 -", await Served(edge, Guarded, "/admin%2fsecret", admin, web));
        Assert.Equal("200 admin /admin/secret", await Served(edge, Open, "/admin%2fsecret", admin, web));
        Assert.Equal("200 web /", await Served(edge, Open, "/admin%2f..", admin, web));
    }
}
