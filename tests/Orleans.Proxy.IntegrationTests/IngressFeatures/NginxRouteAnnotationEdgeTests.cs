using System.Net;
using Orleans.Proxy.IntegrationTests.Infrastructure;
using Orleans.Proxy.Testing;

namespace Orleans.Proxy.IntegrationTests.IngressFeatures;

/// <summary>
/// ingress-nginx's header, redirect, alias, affinity-cookie, canary, global rate-limit and mirror
/// annotations applied by a real embedded edge to real requests on 127.0.0.1. Redirects are read,
/// never followed.
/// </summary>
public sealed class NginxRouteAnnotationEdgeTests
{
    private const string Nginx = "nginx.ingress.kubernetes.io/";

    [Fact]
    public async Task Proxy_UpstreamHeadersResponseHeadersAndAliases_AsIngressNginx()
    {
        await using var web = await TestBackend.StartAsync("web");
        await using var api = await TestBackend.StartAsync("api");
        await using var prefixed = await TestBackend.StartAsync("prefixed");
        using var routes = new TempDirectory();
        routes.Write("services.yaml", string.Join("---\n", Manifests.ServiceFor("web", web), Manifests.ServiceFor("api", api), Manifests.ServiceFor("prefixed", prefixed)));
        routes.Write("configmap.yaml", ResponseHeaders("DENY"));
        routes.Write("ingress.yaml", string.Join("---\n",
            Annotated("vhost", "vhost.test", ("/", "web"), ("upstream-vhost", "internal.example:8080")),
            Annotated("prefix", "prefix.test", ("/", "prefixed"), ("x-forwarded-prefix", "/shop")),
            Annotated("headers", "headers.test", ("/", "web"), ("custom-headers", "response-headers")),
            Annotated("missing-headers", "missing.test", ("/", "web"), ("custom-headers", "no-such-configmap")),
            Annotated("aliased", "main.test", ("/", "web"), ("server-alias", "alias.test, taken.test")),
            Manifests.Ingress("taken", "taken.test", ("/", "Prefix", "api"))));
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path);
        await edge.WaitForBackendAsync("taken.test", "/", "api");

        // upstream-vhost: the backend sees this Host, not the client's.
        Assert.Equal("200 web internal.example:8080 /page", await edge.GetBodyAsync("vhost.test", "/page"));

        // x-forwarded-prefix: the backend gets the header.
        Assert.StartsWith("200 prefixed prefix.test /", await edge.GetBodyAsync("prefix.test", "/"));
        Assert.Equal("/shop", prefixed.SeenHeaders.Last()["X-Forwarded-Prefix"]);

        // custom-headers: every answer carries the ConfigMap's headers; a missing ConfigMap adds none and is reported.
        using (var response = await edge.GetAsync("headers.test", "/"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
            Assert.Equal("orleans-proxy", response.Headers.GetValues("X-Served-Via").Single());
        }

        // A change to the ConfigMap applies without touching the Ingress.
        routes.Write("configmap.yaml", ResponseHeaders("SAMEORIGIN"));
        await Eventually.Until(async () =>
        {
            using var response = await edge.GetAsync("headers.test", "/");
            return response.Headers.TryGetValues("X-Frame-Options", out var values) && values.Single() == "SAMEORIGIN";
        }, "the changed ConfigMap's header is sent");

        using (var response = await edge.GetAsync("missing.test", "/"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.False(response.Headers.Contains("X-Served-Via"));
        }

        // server-alias: the alias is served by the same rules; a host another Ingress has keeps its own backend.
        Assert.Equal("200 web alias.test /x", await edge.GetBodyAsync("alias.test", "/x"));
        Assert.Equal("200 web main.test /x", await edge.GetBodyAsync("main.test", "/x"));
        Assert.Equal("200 api taken.test /x", await edge.GetBodyAsync("taken.test", "/x"));

        var rejections = (await edge.DiagAsync("/diag/rejections")).EnumerateArray()
            .Select(r => $"{r.GetProperty("object").GetString()} | {r.GetProperty("field").GetString()} | {r.GetProperty("reason").GetString()}").ToList();
        Assert.Contains(rejections, r => r.StartsWith($"Ingress test/aliased | metadata.annotations[{Nginx}server-alias] | alias 'taken.test' is the host of a rule of Ingress test/taken", StringComparison.Ordinal));
        Assert.Contains(rejections, r => r.StartsWith($"Ingress test/missing-headers | metadata.annotations[{Nginx}custom-headers] | ConfigMap 'test/no-such-configmap' does not exist", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Proxy_WwwTemporalAndCodedRedirects_AnsweredWithTheirStatus()
    {
        await using var web = await TestBackend.StartAsync("web");
        using var routes = new TempDirectory();
        routes.Write("services.yaml", Manifests.ServiceFor("web", web));
        routes.Write("ingress.yaml", string.Join("---\n",
            Annotated("shop", "shop.test", ("/", "web"), ("from-to-www-redirect", "true")),
            Annotated("blog", "www.blog.test", ("/", "web"), ("from-to-www-redirect", "true")),
            Annotated("docs", "docs.test", ("/", "web"), ("from-to-www-redirect", "true")),
            Manifests.Ingress("www-docs", "www.docs.test", ("/", "Prefix", "web")),
            Annotated("temporal", "temporal.test", ("/", "web"), ("temporal-redirect", "https://elsewhere.test/landing"), ("permanent-redirect", "https://ignored.test/")),
            Annotated("coded", "coded.test", ("/", "web"), ("permanent-redirect", "https://new.test/"), ("permanent-redirect-code", "308")),
            Annotated("bad-code", "badcode.test", ("/", "web"), ("permanent-redirect", "https://new.test/"), ("permanent-redirect-code", "200"))));
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path);
        await edge.WaitForBackendAsync("www.docs.test", "/", "web");
        await Eventually.Until(async () => (await edge.GetAsync("www.shop.test", "/")).StatusCode == HttpStatusCode.PermanentRedirect, "the www twin redirects");

        // from-to-www-redirect: both directions, same scheme, path and query; the twin a rule has stays that rule's.
        await AssertRedirect(edge, "www.shop.test", "/a/b?c=1", HttpStatusCode.PermanentRedirect, "http://shop.test/a/b?c=1");
        Assert.Equal("200 web shop.test /a", await edge.GetBodyAsync("shop.test", "/a"));
        await AssertRedirect(edge, "blog.test", "/post", HttpStatusCode.PermanentRedirect, "http://www.blog.test/post");
        Assert.Equal("200 web www.docs.test /x", await edge.GetBodyAsync("www.docs.test", "/x"));

        // temporal-redirect wins over permanent-redirect; permanent-redirect-code sets the status, a non-3xx one is refused (301).
        await AssertRedirect(edge, "temporal.test", "/any", HttpStatusCode.Found, "https://elsewhere.test/landing");
        await AssertRedirect(edge, "coded.test", "/any", HttpStatusCode.PermanentRedirect, "https://new.test/");
        await AssertRedirect(edge, "badcode.test", "/any", HttpStatusCode.MovedPermanently, "https://new.test/");
        Assert.Equal(0, web.RequestsTo("/any"));

        var rejections = (await edge.DiagAsync("/diag/rejections")).EnumerateArray()
            .Select(r => $"{r.GetProperty("object").GetString()} | {r.GetProperty("field").GetString()} | {r.GetProperty("reason").GetString()}").ToList();
        Assert.Contains(rejections, r => r.StartsWith($"Ingress test/bad-code | metadata.annotations[{Nginx}permanent-redirect-code] | '200' is not a whole number from 300 to 308", StringComparison.Ordinal));
        Assert.Contains(rejections, r => r.StartsWith($"Ingress test/docs | metadata.annotations[{Nginx}from-to-www-redirect] | 'www.docs.test' is the host of a rule of Ingress test/www-docs", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Proxy_AffinityCookieAnnotations_SetTheCookieAttributesAndStick()
    {
        await using var one = await TestBackend.StartAsync("one");
        await using var two = await TestBackend.StartAsync("two");
        using var routes = new TempDirectory();
        routes.Write("services.yaml", Manifests.ServiceFor("pool", one, two));
        routes.Write("ingress.yaml", string.Join("---\n",
            Annotated("sticky", "sticky.test", ("/", "pool"),
                ("affinity", "cookie"), ("affinity-mode", "persistent"), ("session-cookie-name", "route"),
                ("session-cookie-path", "/app"), ("session-cookie-samesite", "None"), ("session-cookie-conditional-samesite-none", "true"),
                ("session-cookie-expires", "3600")),
            Annotated("secure", "secure.test", ("/", "pool"), ("affinity", "cookie"), ("session-cookie-secure", "true"), ("session-cookie-samesite", "Strict"))));
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path);
        await Eventually.Until(async () => (await edge.GetAsync("secure.test", "/")).StatusCode == HttpStatusCode.OK, "the routes serve");

        string cookie;
        using (var response = await edge.GetAsync("sticky.test", "/app"))
        {
            var setCookie = response.Headers.GetValues("Set-Cookie").Single();
            Assert.StartsWith("route=", setCookie, StringComparison.Ordinal);
            Assert.Contains("path=/app", setCookie, StringComparison.Ordinal);
            Assert.Contains("samesite=none", setCookie, StringComparison.Ordinal);
            // Browsers drop SameSite=None without Secure.
            Assert.Contains("secure", setCookie, StringComparison.Ordinal);
            Assert.Contains("expires=", setCookie, StringComparison.Ordinal);
            Assert.Contains("max-age=3600", setCookie, StringComparison.Ordinal);
            cookie = setCookie.Split(';')[0];
            var backend = response.Headers.GetValues("X-Backend").Single();
            for (var i = 0; i < 10; i++)
            {
                using var again = await edge.GetAsync("sticky.test", "/app", ("Cookie", cookie));
                Assert.Equal(backend, again.Headers.GetValues("X-Backend").Single());
                Assert.False(again.Headers.Contains("Set-Cookie"));
            }
        }

        // session-cookie-conditional-samesite-none: a browser that mishandles SameSite=None gets the cookie without it.
        using (var response = await edge.GetAsync("sticky.test", "/app", ("User-Agent", "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/60.0.3112.90 Safari/537.36")))
        {
            var setCookie = response.Headers.GetValues("Set-Cookie").Single();
            Assert.DoesNotContain("samesite", setCookie, StringComparison.Ordinal);
        }

        // session-cookie-secure: Secure on plain HTTP; SameSite as asked.
        using (var response = await edge.GetAsync("secure.test", "/"))
        {
            var setCookie = response.Headers.GetValues("Set-Cookie").Single();
            Assert.Contains("secure", setCookie, StringComparison.Ordinal);
            Assert.Contains("samesite=strict", setCookie, StringComparison.Ordinal);
            Assert.Contains("path=/", setCookie, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Proxy_SessionCookieChangeOnFailure_NewCookieMovesTheSessionOffAFailedEndpoint()
    {
        var changing = new[] { await TestBackend.StartAsync("a1"), await TestBackend.StartAsync("a2") };
        var keeping = new[] { await TestBackend.StartAsync("b1"), await TestBackend.StartAsync("b2") };
        try
        {
            using var routes = new TempDirectory();
            routes.Write("services.yaml", Manifests.ServiceFor("changing", changing[0], changing[1]) + "---\n" + Manifests.ServiceFor("keeping", keeping[0], keeping[1]));
            routes.Write("ingress.yaml", string.Join("---\n",
                Annotated("changing", "changing.test", ("/", "changing"), ("affinity", "cookie"), ("session-cookie-change-on-failure", "true")),
                Annotated("keeping", "keeping.test", ("/", "keeping"), ("affinity", "cookie"), ("session-cookie-change-on-failure", "false"))));
            await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path);
            // Cookies only as each request says: the edge's own client keeps those it is given.
            using var client = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = edge.Public.BaseAddress };
            Task<HttpResponseMessage> Get(string host, string? cookie = null)
            {
                var request = new HttpRequestMessage(HttpMethod.Get, "/");
                request.Headers.Host = host;
                if (cookie is not null)
                {
                    request.Headers.Add("Cookie", cookie);
                }

                return client.SendAsync(request);
            }

            await Eventually.Until(async () => (await Get("keeping.test")).StatusCode == HttpStatusCode.OK, "the routes serve");

            foreach (var (host, backends, changes) in new[] { ("changing.test", changing, true), ("keeping.test", keeping, false) })
            {
                string cookie, pinned;
                using (var first = await Get(host))
                {
                    cookie = first.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
                    pinned = first.Headers.GetValues("X-Backend").Single();
                }

                // The pinned endpoint goes away (connections refused); no health check has noticed yet.
                await backends.Single(b => b.Name == pinned).DisposeAsync();
                using var failed = await Get(host, cookie);
                Assert.Equal(HttpStatusCode.BadGateway, failed.StatusCode);
                if (!changes)
                {
                    Assert.False(failed.Headers.Contains("Set-Cookie"));
                    using var again = await Get(host, cookie);
                    Assert.Equal(HttpStatusCode.BadGateway, again.StatusCode);
                    continue;
                }

                var renewed = failed.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
                Assert.NotEqual(cookie, renewed);
                for (var i = 0; i < 5; i++)
                {
                    using var moved = await Get(host, renewed);
                    Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
                    Assert.NotEqual(pinned, moved.Headers.GetValues("X-Backend").Single());
                }
            }
        }
        finally
        {
            foreach (var backend in changing.Concat(keeping))
            {
                await backend.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Proxy_CanaryHeaderPatternAndWeightTotal_ChooseTheCanary()
    {
        await using var stable = await TestBackend.StartAsync("stable");
        await using var canary = await TestBackend.StartAsync("canary");
        using var routes = new TempDirectory();
        routes.Write("services.yaml", Manifests.ServiceFor("stable", stable) + "---\n" + Manifests.ServiceFor("canary", canary));
        routes.Write("ingress.yaml", string.Join("---\n",
            Manifests.Ingress("pattern", "pattern.test", ("/", "Prefix", "stable")),
            Annotated("pattern-canary", "pattern.test", ("/", "canary"), ("canary", "true"), ("canary-by-header", "X-Release"), ("canary-by-header-pattern", "^(beta|rc)-[0-9]+$")),
            Manifests.Ingress("all", "all.test", ("/", "Prefix", "stable")),
            Annotated("all-canary", "all.test", ("/", "canary"), ("canary", "true"), ("canary-weight", "300"), ("canary-weight-total", "300")),
            Manifests.Ingress("half", "half.test", ("/", "Prefix", "stable")),
            Annotated("half-canary", "half.test", ("/", "canary"), ("canary", "true"), ("canary-weight", "150"), ("canary-weight-total", "300"))));
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path);
        await edge.WaitForBackendAsync("all.test", "/", "canary");

        // canary-by-header-pattern: a value the regex matches goes to the canary; "always" is only a value here.
        Assert.StartsWith("200 canary ", await edge.GetBodyAsync("pattern.test", "/", ("X-Release", "beta-7")));
        Assert.StartsWith("200 canary ", await edge.GetBodyAsync("pattern.test", "/", ("X-Release", "rc-12")));
        Assert.StartsWith("200 stable ", await edge.GetBodyAsync("pattern.test", "/", ("X-Release", "beta-x")));
        Assert.StartsWith("200 stable ", await edge.GetBodyAsync("pattern.test", "/", ("X-Release", "always")));
        Assert.StartsWith("200 stable ", await edge.GetBodyAsync("pattern.test", "/"));

        // canary-weight-total: 300 of 300 is every request; 150 of 300 about half (bounds over 6 standard deviations wide).
        for (var i = 0; i < 20; i++)
        {
            Assert.StartsWith("200 canary ", await edge.GetBodyAsync("all.test", "/"));
        }

        var before = canary.Requests;
        const int requests = 300;
        for (var i = 0; i < requests; i++)
        {
            Assert.StartsWith("200 ", await edge.GetBodyAsync("half.test", "/"));
        }

        Assert.InRange(canary.Requests - before, 98, 202);
    }

    [Fact]
    public async Task Proxy_GlobalRateLimit_OneLimitPerKeyAcrossTheIngressPaths()
    {
        await using var web = await TestBackend.StartAsync("web");
        using var routes = new TempDirectory();
        routes.Write("services.yaml", Manifests.ServiceFor("web", web));
        routes.Write("ingress.yaml", string.Join("---\n",
            Manifests.IngressWithAnnotations("limited", "limited.test", new Dictionary<string, string>
            {
                [Nginx + "global-rate-limit"] = "3",
                [Nginx + "global-rate-limit-window"] = "1m",
                [Nginx + "global-rate-limit-key"] = "$http_x_api_client",
            }, ("/a", "Prefix", "web"), ("/b", "Prefix", "web")),
            Manifests.IngressWithAnnotations("exempt", "exempt.test", new Dictionary<string, string>
            {
                [Nginx + "global-rate-limit"] = "1",
                [Nginx + "global-rate-limit-window"] = "1h",
                [Nginx + "global-rate-limit-ignored-cidrs"] = "127.0.0.0/8",
            }, ("/", "Prefix", "web"))));
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path);
        await edge.WaitForBackendAsync("exempt.test", "/", "web");

        // Three requests a minute per X-Api-Client, counted over both paths of the Ingress.
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 8; i++)
        {
            using var response = await edge.GetAsync("limited.test", i % 2 == 0 ? "/a" : "/b", ("X-Api-Client", "alpha"));
            statuses.Add(response.StatusCode);
        }

        Assert.True(statuses.Count(s => s == HttpStatusCode.OK) is >= 3 and <= 4, string.Join(", ", statuses));
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
        using (var other = await edge.GetAsync("limited.test", "/a", ("X-Api-Client", "beta")))
        {
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        }

        // global-rate-limit-ignored-cidrs: a client in range is never limited.
        for (var i = 0; i < 5; i++)
        {
            Assert.StartsWith("200 web ", await edge.GetBodyAsync("exempt.test", "/"));
        }
    }

    [Fact]
    public async Task Proxy_LimitConnections_RequestsInProgressPerClientAboveTheLimitGet503()
    {
        await using var slow = await TestBackend.StartAsync("slow");
        using var routes = new TempDirectory();
        routes.Write("services.yaml", Manifests.ServiceFor("slow", slow));
        routes.Write("ingress.yaml", Manifests.IngressWithAnnotations("limited", "conn.test",
            new Dictionary<string, string> { [Nginx + "limit-connections"] = "2" }, ("/a", "Prefix", "slow"), ("/b", "Prefix", "slow")));
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path);
        await edge.WaitForBackendAsync("conn.test", "/a", "slow");

        // Two slow requests in progress, on both paths of the Ingress: a third from the same client is refused.
        var first = edge.GetAsync("conn.test", "/a?delay-ms=3000");
        var second = edge.GetAsync("conn.test", "/b?delay-ms=3000");
        await Eventually.Until(() => Task.FromResult(slow.RequestsTo("/a") >= 2 && slow.RequestsTo("/b") >= 1), "both slow requests reached the backend");
        using (var third = await edge.GetAsync("conn.test", "/a"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, third.StatusCode);
        }

        using (var done = await first)
        using (var alsoDone = await second)
        {
            Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (done.StatusCode, alsoDone.StatusCode));
        }

        // Once they are answered, the client is served again.
        Assert.StartsWith("200 slow ", await edge.GetBodyAsync("conn.test", "/a"));
    }

    [Fact]
    public async Task Proxy_DefaultBackend_ServesWhileTheServiceHasNoEndpoint()
    {
        await using var fallback = await TestBackend.StartAsync("fallback");
        await using var web = await TestBackend.StartAsync("web");
        using var routes = new TempDirectory();
        routes.Write("services.yaml", string.Join("---\n", Manifests.ServiceFor("empty"), Manifests.ServiceFor("fallback", fallback), Manifests.ServiceFor("web", web)));
        routes.Write("ingress.yaml", string.Join("---\n",
            Annotated("empty", "empty.test", ("/", "empty"), ("default-backend", "fallback")),
            Annotated("served", "served.test", ("/", "web"), ("default-backend", "fallback"))));
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path);
        await edge.WaitForBackendAsync("served.test", "/", "web");

        // No endpoint: the default backend answers; with endpoints, the Service does.
        await edge.WaitForBackendAsync("empty.test", "/page", "fallback");
        Assert.Equal("200 fallback empty.test /page", await edge.GetBodyAsync("empty.test", "/page"));
        Assert.Equal("200 web served.test /page", await edge.GetBodyAsync("served.test", "/page"));
    }

    [Fact]
    public async Task Proxy_MirrorTarget_CopiesReachTheTargetWithOrWithoutBody()
    {
        await using var web = await TestBackend.StartAsync("web");
        await using var byAddress = await TestBackend.StartAsync("by-address");
        await using var byService = await TestBackend.StartAsync("by-service");
        using var routes = new TempDirectory();
        routes.Write("services.yaml", Manifests.ServiceFor("web", web) + "---\n" + Manifests.ServiceFor("shadow", byService));
        routes.Write("ingress.yaml", string.Join("---\n",
            Annotated("mirrored", "mirrored.test", ("/", "web"), ("mirror-target", $"http://127.0.0.1:{byAddress.Port}$request_uri")),
            Annotated("no-body", "nobody.test", ("/", "web"), ("mirror-target", "http://shadow.test.svc.cluster.local/$request_uri"), ("mirror-request-body", "off")),
            Annotated("denied", "denied.test", ("/", "web"), ("mirror-target", $"http://127.0.0.1:{byAddress.Port}"), ("whitelist-source-range", "10.0.0.0/8"))));
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path);
        await edge.WaitForBackendAsync("nobody.test", "/", "web");

        // An IP address target: the copy carries the forwarded path, query and body; the client gets the backend's answer.
        Assert.Equal(HttpStatusCode.OK, await PostAsync(edge, "mirrored.test", "/orders?x=1", "payload"));
        await Eventually.Until(() => Task.FromResult(byAddress.Seen.Contains("POST /orders")), "the copy reaches the address target");
        Assert.Equal("7", byAddress.SeenHeaders.Last()["Content-Length"]);
        Assert.Equal(web.RequestsTo("/orders"), byAddress.RequestsTo("/orders"));

        // A Service's cluster name resolves to its endpoints; mirror-request-body: off sends no body.
        Assert.Equal(HttpStatusCode.OK, await PostAsync(edge, "nobody.test", "/events", "payload"));
        await Eventually.Until(() => Task.FromResult(byService.Seen.Contains("POST /events")), "the copy reaches the Service target");
        Assert.False(byService.SeenHeaders.Last().TryGetValue("Content-Length", out var length) && length != "0", $"Content-Length {length}");

        // A request refused before forwarding (here by the source range) is not mirrored: the copy after it arrives, it never does.
        Assert.StartsWith("403 ", await edge.GetBodyAsync("denied.test", "/refused"));
        Assert.Equal(HttpStatusCode.OK, await PostAsync(edge, "mirrored.test", "/after", "x"));
        await Eventually.Until(() => Task.FromResult(byAddress.Seen.Contains("POST /after")), "the later copy reaches the address target");
        Assert.Equal(0, byAddress.RequestsTo("/refused"));
    }

    private static string ResponseHeaders(string frameOptions) => $"""
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: response-headers
          namespace: {Manifests.Namespace}
        data:
          X-Frame-Options: {frameOptions}
          X-Served-Via: orleans-proxy
        """;

    private static string Annotated(string name, string host, (string Path, string Service) path, params (string Key, string Value)[] annotations) =>
        Manifests.IngressWithAnnotations(name, host, annotations.ToDictionary(a => Nginx + a.Key, a => a.Value), (path.Path, "Prefix", path.Service));

    private static async Task AssertRedirect(TestEdge edge, string host, string path, HttpStatusCode status, string location)
    {
        using var response = await edge.GetAsync(host, path);
        Assert.Equal(status, response.StatusCode);
        Assert.Equal(location, response.Headers.Location?.OriginalString);
    }

    private static async Task<HttpStatusCode> PostAsync(TestEdge edge, string host, string pathAndQuery, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, pathAndQuery) { Content = new StringContent(body) };
        request.Headers.Host = host;
        using var response = await edge.Public.SendAsync(request);
        return response.StatusCode;
    }
}
