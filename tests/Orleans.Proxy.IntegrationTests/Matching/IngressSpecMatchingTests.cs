using Orleans.Proxy.IntegrationTests.Infrastructure;
using Orleans.Proxy.Testing;

namespace Orleans.Proxy.IntegrationTests.Matching;

/// <summary>
/// The SIG-Network ingress conformance scenarios (features/path_rules.feature, host_rules.feature)
/// through a real embedded edge: which backend serves, with which path, or 404.
/// </summary>
public sealed class IngressSpecMatchingTests
{
    [Fact]
    public async Task Proxy_PathRules_MatchAsTheIngressSpecDefines()
    {
        string[] names = ["foo-exact", "foo-prefix", "aaa-slash-bbb-prefix", "aaa-prefix", "aaa-slash-bbb-slash-prefix", "foo-slash-exact"];
        var backends = await Task.WhenAll(names.Select(n => TestBackend.StartAsync(n)));
        try
        {
            using var routes = new TempDirectory();
            routes.Write("services.yaml", string.Join("---\n", backends.Select(b => Manifests.ServiceFor(b.Name, b))));
            routes.Write("ingress.yaml", string.Join("---\n",
                Manifests.Ingress("exact", "exact-path-rules", ("/foo", "Exact", "foo-exact")),
                Manifests.Ingress("prefix", "prefix-path-rules", ("/foo", "Prefix", "foo-prefix"), ("/aaa/bbb", "Prefix", "aaa-slash-bbb-prefix"), ("/aaa", "Prefix", "aaa-prefix")),
                Manifests.Ingress("mixed", "mixed-path-rules", ("/foo", "Prefix", "foo-prefix"), ("/foo", "Exact", "foo-exact")),
                Manifests.Ingress("trailing", "trailing-path-rules", ("/aaa/bbb/", "Prefix", "aaa-slash-bbb-slash-prefix"), ("/foo/", "Exact", "foo-slash-exact"))));
            await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path);
            await edge.WaitForBackendAsync("trailing-path-rules", "/foo/", "foo-slash-exact");

            Assert.Equal("200 foo-exact exact-path-rules /foo", await edge.GetBodyAsync("exact-path-rules", "/foo"));
            Assert.Equal("404 ", await edge.GetBodyAsync("exact-path-rules", "/foo/"));
            Assert.Equal("404 ", await edge.GetBodyAsync("exact-path-rules", "/FOO"));
            Assert.Equal("404 ", await edge.GetBodyAsync("exact-path-rules", "/bar"));

            Assert.Equal("200 foo-prefix prefix-path-rules /foo", await edge.GetBodyAsync("prefix-path-rules", "/foo"));
            Assert.Equal("200 foo-prefix prefix-path-rules /foo/", await edge.GetBodyAsync("prefix-path-rules", "/foo/"));
            Assert.Equal("404 ", await edge.GetBodyAsync("prefix-path-rules", "/FOO"));
            Assert.Equal("200 aaa-slash-bbb-prefix prefix-path-rules /aaa/bbb", await edge.GetBodyAsync("prefix-path-rules", "/aaa/bbb"));
            Assert.Equal("200 aaa-slash-bbb-prefix prefix-path-rules /aaa/bbb/ccc", await edge.GetBodyAsync("prefix-path-rules", "/aaa/bbb/ccc"));
            Assert.Equal("200 aaa-prefix prefix-path-rules /aaa/ccc", await edge.GetBodyAsync("prefix-path-rules", "/aaa/ccc"));
            Assert.Equal("404 ", await edge.GetBodyAsync("prefix-path-rules", "/aaaccc"));

            Assert.Equal("200 foo-exact mixed-path-rules /foo", await edge.GetBodyAsync("mixed-path-rules", "/foo"));
            Assert.Equal("200 foo-prefix mixed-path-rules /foo/", await edge.GetBodyAsync("mixed-path-rules", "/foo/"));

            Assert.Equal("200 aaa-slash-bbb-slash-prefix trailing-path-rules /aaa/bbb", await edge.GetBodyAsync("trailing-path-rules", "/aaa/bbb"));
            Assert.Equal("200 aaa-slash-bbb-slash-prefix trailing-path-rules /aaa/bbb/", await edge.GetBodyAsync("trailing-path-rules", "/aaa/bbb/"));
            Assert.Equal("404 ", await edge.GetBodyAsync("trailing-path-rules", "/foo"));
        }
        finally
        {
            foreach (var backend in backends)
            {
                await backend.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Proxy_HostRules_WildcardCoversOneLabelAndHostCaseAndPortIgnored()
    {
        await using var wildcard = await TestBackend.StartAsync("wildcard-foo-com");
        await using var exact = await TestBackend.StartAsync("foo-bar-com");
        using var routes = new TempDirectory();
        routes.Write("services.yaml", Manifests.ServiceFor(wildcard.Name, wildcard) + "---\n" + Manifests.ServiceFor(exact.Name, exact));
        routes.Write("ingress.yaml", Manifests.Ingress("wildcard", "*.foo.com", ("/", "Prefix", wildcard.Name)) + "---\n"
            + Manifests.Ingress("exact", "foo.bar.com", ("/", "Prefix", exact.Name)));
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path);
        await edge.WaitForBackendAsync("bar.foo.com", "/", wildcard.Name);

        Assert.Equal("200 foo-bar-com foo.bar.com /", await edge.GetBodyAsync("foo.bar.com", "/"));
        Assert.StartsWith("200 foo-bar-com ", await edge.GetBodyAsync("FOO.Bar.com:8080", "/"));
        Assert.Equal("404 ", await edge.GetBodyAsync("subdomain.bar.com", "/"));
        Assert.Equal("200 wildcard-foo-com bar.foo.com /", await edge.GetBodyAsync("bar.foo.com", "/"));
        Assert.Equal("404 ", await edge.GetBodyAsync("baz.bar.foo.com", "/"));
        Assert.Equal("404 ", await edge.GetBodyAsync("foo.com", "/"));
    }
}
