using System.Net;
using Orleans.Proxy.IntegrationTests.Infrastructure;

using Orleans.Proxy.Testing;

namespace Orleans.Proxy.IntegrationTests.IngressFeatures;

/// <summary>ingress-nginx annotations applied by a real embedded edge to real requests on 127.0.0.1.</summary>
public sealed class NginxAnnotationEdgeTests
{
    private const string Nginx = "nginx.ingress.kubernetes.io/";

    [Fact]
    public async Task Proxy_RewriteRedirectsSourceRangesBodySize_BehaveAsIngressNginx()
    {
        await using var web = await TestBackend.StartAsync("web");
        await using var api = await TestBackend.StartAsync("api");
        using var routes = new TempDirectory();
        routes.Write("services.yaml", Manifests.ServiceFor("web", web) + "---\n" + Manifests.ServiceFor("api", api));
        routes.Write("ingress.yaml", string.Join("---\n",
            Manifests.Ingress("plain", "rw.test", ("/", "Prefix", "web")),
            Annotated("rewrite", "rw.test", ("/something(/|$)(.*)", "api"), ("use-regex", "true"), ("rewrite-target", "/$2")),
            Annotated("force-ssl", "ssl.test", ("/", "web"), ("force-ssl-redirect", "true")),
            Annotated("moved", "moved.test", ("/", "web"), ("permanent-redirect", "https://new.test/landing")),
            Annotated("approot", "root.test", ("/", "web"), ("app-root", "/app")),
            Annotated("allowed", "allowed.test", ("/", "web"), ("whitelist-source-range", "10.0.0.0/8, 127.0.0.1")),
            Annotated("outside", "outside.test", ("/", "web"), ("whitelist-source-range", "10.0.0.0/8")),
            Annotated("denied", "denied.test", ("/", "web"), ("whitelist-source-range", "127.0.0.0/8"), ("denylist-source-range", "127.0.0.1/32")),
            Annotated("small", "small.test", ("/", "web"), ("proxy-body-size", "10"))));
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path);
        await edge.WaitForBackendAsync("small.test", "/", "web");

        // rewrite-target with use-regex: the second group becomes the path; the query string stays.
        Assert.Equal("200 api rw.test /new/page?x=1", await edge.GetBodyAsync("rw.test", "/something/new/page?x=1"));
        Assert.Equal("200 api rw.test /", await edge.GetBodyAsync("rw.test", "/SOMETHING"));
        // A path the regex does not match falls through to the next route.
        Assert.Equal("200 web rw.test /somethingelse", await edge.GetBodyAsync("rw.test", "/somethingelse"));

        await AssertRedirect(edge.Public, "ssl.test", "/a?b=1", HttpStatusCode.PermanentRedirect, "https://ssl.test/a?b=1");
        await AssertRedirect(edge.Public, "moved.test", "/anything", HttpStatusCode.MovedPermanently, "https://new.test/landing");
        await AssertRedirect(edge.Public, "root.test", "/", HttpStatusCode.Found, "/app");
        Assert.StartsWith("200 web ", await edge.GetBodyAsync("root.test", "/app"));

        Assert.StartsWith("200 web ", await edge.GetBodyAsync("allowed.test", "/"));
        var before = web.Requests;
        Assert.StartsWith("403 ", await edge.GetBodyAsync("outside.test", "/"));
        Assert.StartsWith("403 ", await edge.GetBodyAsync("denied.test", "/"));
        Assert.Equal(before, web.Requests);

        Assert.Equal(HttpStatusCode.OK, await PostAsync(edge, "small.test", "0123456789"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, await PostAsync(edge, "small.test", "0123456789A"));
        Assert.Equal(before + 1, web.Requests);
    }

    [Fact]
    public async Task Proxy_CanaryIngress_SplitsByHeaderCookieAndWeight()
    {
        await using var stable = await TestBackend.StartAsync("stable");
        await using var canary = await TestBackend.StartAsync("canary");
        using var routes = new TempDirectory();
        routes.Write("services.yaml", Manifests.ServiceFor("stable", stable) + "---\n" + Manifests.ServiceFor("canary", canary));
        routes.Write("ingress.yaml", Manifests.Ingress("main", "app.test", ("/", "Prefix", "stable")) + "---\n"
            + Annotated("main-canary", "app.test", ("/", "canary"), ("canary", "true"), ("canary-weight", "30"),
                ("canary-by-header", "X-Canary"), ("canary-by-cookie", "use-canary")));
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path);
        await edge.WaitForBackendAsync("app.test", "/", "canary");

        for (var i = 0; i < 20; i++)
        {
            Assert.StartsWith("200 canary ", await edge.GetBodyAsync("app.test", "/", ("X-Canary", "always")));
            Assert.StartsWith("200 stable ", await edge.GetBodyAsync("app.test", "/", ("X-Canary", "never"), ("Cookie", "use-canary=always")));
            Assert.StartsWith("200 canary ", await edge.GetBodyAsync("app.test", "/", ("Cookie", "use-canary=always")));
            Assert.StartsWith("200 stable ", await edge.GetBodyAsync("app.test", "/", ("Cookie", "use-canary=never")));
        }

        var canaryBefore = canary.Requests;
        const int requests = 300;
        for (var i = 0; i < requests; i++)
        {
            Assert.StartsWith("200 ", await edge.GetBodyAsync("app.test", "/"));
        }

        // Weight 30: about 90 of 300; the bounds are over 7 standard deviations wide.
        var toCanary = canary.Requests - canaryBefore;
        Assert.InRange(toCanary, 30, 150);
    }

    [Fact]
    public async Task Proxy_BackendProtocolAndReadTimeout_ReachBackendsAsConfigured()
    {
        using var key = System.Security.Cryptography.ECDsa.Create();
        using var certificate = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=backend", key, System.Security.Cryptography.HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        await using var h2c = await TestBackend.StartAsync("h2c", protocols: Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http2);
        await using var tls = await TestBackend.StartAsync("tls", certificate: certificate);
        await using var slow = await TestBackend.StartAsync("slow");
        using var routes = new TempDirectory();
        routes.Write("services.yaml", string.Join("---\n", Manifests.ServiceFor("h2c", h2c), Manifests.ServiceFor("tls", tls), Manifests.ServiceFor("slow", slow)));
        routes.Write("ingress.yaml", string.Join("---\n",
            Annotated("h2c", "h2c.test", ("/", "h2c"), ("backend-protocol", "H2C")),
            Annotated("tls", "tls.test", ("/", "tls"), ("backend-protocol", "HTTPS")),
            Annotated("slow", "slow.test", ("/", "slow"), ("proxy-read-timeout", "1"), ("proxy-connect-timeout", "2"))));
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path);
        await edge.WaitForBackendAsync("slow.test", "/", "slow");

        using (var response = await edge.GetAsync("h2c.test", "/"))
        {
            Assert.Equal((HttpStatusCode.OK, "HTTP/2"), (response.StatusCode, response.Headers.GetValues("X-Backend-Protocol").Single()));
        }

        using (var response = await edge.GetAsync("tls.test", "/"))
        {
            Assert.Equal((HttpStatusCode.OK, "https"), (response.StatusCode, response.Headers.GetValues("X-Backend-Scheme").Single()));
        }

        // A backend silent for longer than proxy-read-timeout: the edge gives up with 504.
        Assert.StartsWith("200 slow ", await edge.GetBodyAsync("slow.test", "/?delay-ms=10"));
        using (var response = await edge.GetAsync("slow.test", "/?delay-ms=3000"))
        {
            Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        }
    }

    private static string Annotated(string name, string host, (string Path, string Service) path, params (string Key, string Value)[] annotations) =>
        Manifests.IngressWithAnnotations(name, host, annotations.ToDictionary(a => Nginx + a.Key, a => a.Value), (path.Path, "ImplementationSpecific", path.Service));

    private static async Task AssertRedirect(HttpClient client, string host, string path, HttpStatusCode status, string location)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Host = host;
        using var response = await client.SendAsync(request);
        Assert.Equal(status, response.StatusCode);
        Assert.Equal(location, response.Headers.Location?.OriginalString);
    }

    private static async Task<HttpStatusCode> PostAsync(TestEdge edge, string host, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/upload") { Content = new StringContent(body) };
        request.Headers.Host = host;
        using var response = await edge.Public.SendAsync(request);
        return response.StatusCode;
    }
}
