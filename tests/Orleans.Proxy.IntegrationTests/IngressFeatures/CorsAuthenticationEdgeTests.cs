using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Orleans.Proxy.IntegrationTests.Infrastructure;
using Orleans.Proxy.Testing;

namespace Orleans.Proxy.IntegrationTests.IngressFeatures;

/// <summary>ingress-nginx's CORS, Basic and external authentication annotations, applied by a real embedded edge on 127.0.0.1.</summary>
public sealed class CorsAuthenticationEdgeTests
{
    private const string Nginx = "nginx.ingress.kubernetes.io/";

    /// <summary>htpasswd -m: "password" with salt "xyz".</summary>
    private const string Apr1Password = "$apr1$xyz$NU.niW1.aK5j0LYFfMca4/";

    /// <summary>htpasswd -s: "password".</summary>
    private const string ShaPassword = "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=";

    [Fact]
    public async Task Proxy_EnableCors_PreflightAnsweredAtTheEdgeAndOriginAddedToResponses()
    {
        await using var web = await TestBackend.StartAsync("web");
        using var routes = new TempDirectory();
        routes.Write("services.yaml", Manifests.ServiceFor("web", web));
        routes.Write("ingress.yaml", string.Join("---\n",
            Annotated("listed", "listed.test", ("enable-cors", "true"), ("cors-allow-origin", "https://app.example.com, https://*.tenants.test:8443"),
                ("cors-allow-methods", "GET, PUT"), ("cors-allow-headers", "X-Custom, Content-Type"), ("cors-expose-headers", "X-Backend"), ("cors-max-age", "600")),
            Annotated("any", "any.test", ("enable-cors", "true"), ("cors-allow-credentials", "false")),
            Annotated("anycred", "anycred.test", ("enable-cors", "true")),
            Annotated("plain", "plain.test")));
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path);
        await edge.WaitForBackendAsync("plain.test", "/", "web");
        var before = web.Requests;

        // A preflight from a listed origin: 204 with the policy, from the edge alone.
        using (var preflight = await SendAsync(edge, HttpMethod.Options, "listed.test", "/api",
                   ("Origin", "https://app.example.com"), ("Access-Control-Request-Method", "PUT"), ("Access-Control-Request-Headers", "x-custom")))
        {
            Assert.Equal(HttpStatusCode.NoContent, preflight.StatusCode);
            Assert.Equal("https://app.example.com", Header(preflight, "Access-Control-Allow-Origin"));
            Assert.Equal("true", Header(preflight, "Access-Control-Allow-Credentials"));
            Assert.Equal("GET,PUT", Header(preflight, "Access-Control-Allow-Methods"));
            Assert.Equal("X-Custom,Content-Type", Header(preflight, "Access-Control-Allow-Headers"));
            Assert.Equal("600", Header(preflight, "Access-Control-Max-Age"));
        }

        // One label under the wildcard, with its port; not two labels, not another port.
        using (var preflight = await SendAsync(edge, HttpMethod.Options, "listed.test", "/", ("Origin", "https://eu.tenants.test:8443"), ("Access-Control-Request-Method", "GET")))
        {
            Assert.Equal("https://eu.tenants.test:8443", Header(preflight, "Access-Control-Allow-Origin"));
        }

        foreach (var origin in new[] { "https://a.eu.tenants.test:8443", "https://eu.tenants.test", "https://evil.test" })
        {
            using var refused = await SendAsync(edge, HttpMethod.Options, "listed.test", "/", ("Origin", origin), ("Access-Control-Request-Method", "GET"));
            Assert.Equal(HttpStatusCode.NoContent, refused.StatusCode);
            Assert.Null(Header(refused, "Access-Control-Allow-Origin"));
        }

        Assert.Equal(before, web.Requests);

        // An actual request: the backend answers, the edge adds the origin and the exposed headers.
        using (var actual = await SendAsync(edge, HttpMethod.Get, "listed.test", "/data", ("Origin", "https://app.example.com")))
        {
            Assert.Equal(HttpStatusCode.OK, actual.StatusCode);
            Assert.StartsWith("web ", await actual.Content.ReadAsStringAsync());
            Assert.Equal("https://app.example.com", Header(actual, "Access-Control-Allow-Origin"));
            Assert.Equal("true", Header(actual, "Access-Control-Allow-Credentials"));
            Assert.Equal("X-Backend", Header(actual, "Access-Control-Expose-Headers"));
            Assert.Contains("Origin", actual.Headers.Vary);
        }

        using (var other = await SendAsync(edge, HttpMethod.Get, "listed.test", "/data", ("Origin", "https://evil.test")))
        {
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);
            Assert.Null(Header(other, "Access-Control-Allow-Origin"));
        }

        // "*" without credentials is sent as "*"; with credentials (ingress-nginx's default) the origin is echoed.
        using (var any = await SendAsync(edge, HttpMethod.Get, "any.test", "/", ("Origin", "https://whoever.test")))
        {
            Assert.Equal("*", Header(any, "Access-Control-Allow-Origin"));
            Assert.Null(Header(any, "Access-Control-Allow-Credentials"));
        }

        using (var anyWithCredentials = await SendAsync(edge, HttpMethod.Get, "anycred.test", "/", ("Origin", "https://whoever.test")))
        {
            Assert.Equal("https://whoever.test", Header(anyWithCredentials, "Access-Control-Allow-Origin"));
            Assert.Equal("true", Header(anyWithCredentials, "Access-Control-Allow-Credentials"));
        }

        // Without enable-cors nothing is added, and an OPTIONS reaches the backend.
        using (var plain = await SendAsync(edge, HttpMethod.Options, "plain.test", "/", ("Origin", "https://app.example.com"), ("Access-Control-Request-Method", "GET")))
        {
            Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
            Assert.Null(Header(plain, "Access-Control-Allow-Origin"));
        }
    }

    [Fact]
    public async Task Proxy_BasicAuth_HtpasswdAndAuthMapSecrets_RefusedRequestsNeverReachTheBackend()
    {
        var bcrypt = "$2y$" + BCrypt.Net.BCrypt.HashPassword("bcrypt-pw", 4)[4..];
        await using var web = await TestBackend.StartAsync("web");
        using var routes = new TempDirectory();
        routes.Write("services.yaml", Manifests.ServiceFor("web", web));
        routes.Write("secrets.yaml", string.Join("---\n",
            Secret("htpasswd", ("auth", $"# team\nalice:{Apr1Password}\ncarol:{bcrypt}\ndave:{ShaPassword}\nerin:abJnggxhB/yWI")),
            Secret("usermap", ("bob", Apr1Password))));
        routes.Write("ingress.yaml", string.Join("---\n",
            Annotated("file", "file.test", ("auth-type", "basic"), ("auth-secret", "htpasswd"), ("auth-realm", "Staff only")),
            Annotated("map", "map.test", ("auth-type", "basic"), ("auth-secret", $"{Manifests.Namespace}/usermap"), ("auth-secret-type", "auth-map")),
            Annotated("cors", "cors.test", ("auth-type", "basic"), ("auth-secret", "htpasswd"), ("enable-cors", "true"), ("cors-allow-origin", "https://app.example.com")),
            Annotated("missing", "missing.test", ("auth-type", "basic"), ("auth-secret", "no-such-secret")),
            Annotated("plain", "plain.test")));
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path);
        await edge.WaitForBackendAsync("plain.test", "/", "web");
        var before = web.Requests;

        foreach (var authorization in new[] { null, Basic("alice", "wrong"), Basic("mallory", "password"), Basic("erin", "anything"), "Basic %%%" })
        {
            using var refused = await SendAsync(edge, HttpMethod.Get, "file.test", "/", authorization is null ? [] : [("Authorization", authorization)]);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("Basic realm=\"Staff only\"", refused.Headers.WwwAuthenticate.ToString());
        }

        // A Secret that does not exist refuses the Ingress: its host is not served at all.
        Assert.StartsWith("404 ", await edge.GetBodyAsync("missing.test", "/"));
        Assert.Equal(before, web.Requests);

        Assert.StartsWith("200 web ", await edge.GetBodyAsync("file.test", "/", ("Authorization", Basic("alice", "password"))));
        Assert.StartsWith("200 web ", await edge.GetBodyAsync("file.test", "/", ("Authorization", Basic("carol", "bcrypt-pw"))));
        Assert.StartsWith("200 web ", await edge.GetBodyAsync("file.test", "/", ("Authorization", Basic("dave", "password"))));
        Assert.StartsWith("200 web ", await edge.GetBodyAsync("map.test", "/", ("Authorization", Basic("bob", "password"))));
        Assert.StartsWith("401 ", await edge.GetBodyAsync("map.test", "/", ("Authorization", Basic("alice", "password"))));
        // The backend receives the Authorization header, as behind ingress-nginx.
        Assert.Equal(Basic("bob", "password"), web.SeenHeaders.Last()["Authorization"]);

        // With CORS: the preflight needs no credentials, and the 401 carries the CORS headers so the page can read it.
        using (var preflight = await SendAsync(edge, HttpMethod.Options, "cors.test", "/", ("Origin", "https://app.example.com"), ("Access-Control-Request-Method", "GET")))
        {
            Assert.Equal(HttpStatusCode.NoContent, preflight.StatusCode);
        }

        using (var refused = await SendAsync(edge, HttpMethod.Get, "cors.test", "/", ("Origin", "https://app.example.com")))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("https://app.example.com", Header(refused, "Access-Control-Allow-Origin"));
        }

        Assert.Equal(before + 4, web.Requests);

        // The diagnostics show the users, never their hashes.
        var routesView = (await edge.DiagAsync("/diag/cluster/hosts/file.test")).GetRawText();
        Assert.Contains("\"alice\"", routesView);
        Assert.DoesNotContain("$apr1$", routesView);
    }

    [Fact]
    public async Task Proxy_AuthUrl_SubrequestDecidesAndItsHeadersReachTheBackend()
    {
        await using var auth = await AuthService.StartAsync();
        await using var web = await TestBackend.StartAsync("web");
        using var routes = new TempDirectory();
        routes.Write("services.yaml", Manifests.ServiceFor("web", web));
        var check = $"http://127.0.0.1:{auth.Port}/check";
        routes.Write("ingress.yaml", string.Join("---\n",
            Annotated("ext", "ext.test", ("auth-url", check), ("auth-response-headers", "X-User, X-Groups"), ("auth-signin", "https://login.test/start")),
            Annotated("bare", "bare.test", ("auth-url", check), ("auth-method", "POST"), ("auth-request-redirect", "https://bare.test/after")),
            Annotated("ownrd", "ownrd.test", ("auth-url", check), ("auth-signin", "https://$host/oauth2/start?back=$escaped_request_uri"), ("auth-signin-redirect-param", "back")),
            Annotated("plain", "plain.test")));
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path, new Dictionary<string, string?> { ["Authentication:ExternalTimeout"] = "00:00:01" });
        await edge.WaitForBackendAsync("plain.test", "/", "web");
        var before = web.Requests;

        // 2xx: through, with the auth service's X-User replacing the client's, and X-Groups removed since the service sent none.
        Assert.StartsWith("200 web ", await edge.GetBodyAsync("ext.test", "/private?a=1",
            ("Authorization", "Bearer good"), ("X-User", "mallory"), ("X-Groups", "admins")));
        var seen = web.SeenHeaders.Last();
        Assert.Equal("alice", seen["X-User"]);
        Assert.False(seen.ContainsKey("X-Groups"));
        var asked = auth.Seen.Last();
        Assert.Equal(("GET", "/check"), (asked.Method, asked.Path));
        Assert.Equal("http://ext.test/private?a=1", asked.Headers["X-Original-URL"]);
        Assert.Equal("GET", asked.Headers["X-Original-Method"]);
        Assert.Equal("ext.test", asked.Headers["X-Forwarded-Host"]);
        Assert.Equal("http", asked.Headers["X-Forwarded-Proto"]);
        Assert.Equal("127.0.0.1", asked.Headers["X-Real-IP"]);
        Assert.Equal("/private?a=1", asked.Headers["X-Auth-Request-Redirect"]);
        Assert.Equal("Bearer good", asked.Headers["Authorization"]);
        Assert.Equal($"127.0.0.1:{auth.Port}", asked.Headers["Host"]);

        // 401 with auth-signin: a redirect naming the original URL in rd; the backend is not asked.
        using (var signIn = await edge.GetAsync("ext.test", "/private?a=1"))
        {
            Assert.Equal(HttpStatusCode.Found, signIn.StatusCode);
            Assert.Equal("https://login.test/start?rd=http://ext.test%2Fprivate%3Fa%3D1", signIn.Headers.Location?.OriginalString);
        }

        using (var signIn = await edge.GetAsync("ownrd.test", "/x?y=2"))
        {
            Assert.Equal("https://ownrd.test/oauth2/start?back=%2Fx%3Fy%3D2", signIn.Headers.Location?.OriginalString);
        }

        // Without auth-signin the 401 is returned with the service's challenge; 403 stays 403; any other answer, or none in time, is a 500.
        using (var unauthorized = await edge.GetAsync("bare.test", "/"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
            Assert.Equal("Bearer realm=\"test\"", unauthorized.Headers.WwwAuthenticate.ToString());
        }

        Assert.Equal(("POST", "https://bare.test/after"), (auth.Seen.Last().Method, auth.Seen.Last().Headers["X-Auth-Request-Redirect"]));
        Assert.StartsWith("403 ", await edge.GetBodyAsync("bare.test", "/", ("Authorization", "Bearer forbidden")));
        Assert.StartsWith("500 ", await edge.GetBodyAsync("bare.test", "/", ("Authorization", "Bearer broken")));
        var started = DateTime.UtcNow;
        Assert.StartsWith("500 ", await edge.GetBodyAsync("bare.test", "/", ("Authorization", "Bearer slow")));
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.Zero, TimeSpan.FromSeconds(4));
        Assert.Equal(before + 1, web.Requests);

        Assert.StartsWith("200 web ", await edge.GetBodyAsync("bare.test", "/", ("Authorization", "Bearer good")));
        Assert.Equal(before + 2, web.Requests);
    }

    private static string Annotated(string name, string host, params (string Key, string Value)[] annotations) =>
        Manifests.IngressWithAnnotations(name, host, annotations.ToDictionary(a => Nginx + a.Key, a => a.Value), ("/", "Prefix", "web"));

    private static string Secret(string name, params (string Key, string Value)[] data) =>
        $"""
        apiVersion: v1
        kind: Secret
        metadata:
          name: {name}
          namespace: {Manifests.Namespace}
        type: Opaque
        stringData:
        {string.Join("\n", data.Select(d => $"  {d.Key}: |\n    {d.Value.Replace("\n", "\n    ", StringComparison.Ordinal)}"))}

        """;

    private static string Basic(string user, string password) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

    private static Task<HttpResponseMessage> SendAsync(TestEdge edge, HttpMethod method, string host, string path, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Host = host;
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return edge.Public.SendAsync(request);
    }

    /// <summary>
    /// An auth service on 127.0.0.1: "Bearer good" is 200 with X-User: alice, "Bearer forbidden" 403,
    /// "Bearer broken" 502, "Bearer slow" answers after 5 s; anything else 401 with a Bearer challenge.
    /// </summary>
    private sealed class AuthService : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private AuthService(WebApplication app) => _app = app;

        public int Port { get; private set; }

        public ConcurrentQueue<(string Method, string Path, IReadOnlyDictionary<string, string> Headers)> Seen { get; } = new();

        public static async Task<AuthService> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            var service = new AuthService(app);
            app.Run(async context =>
            {
                service.Seen.Enqueue((context.Request.Method, context.Request.Path.Value ?? "",
                    context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase)));
                switch (context.Request.Headers.Authorization.ToString())
                {
                    case "Bearer good":
                        context.Response.Headers["X-User"] = "alice";
                        break;
                    case "Bearer forbidden":
                        context.Response.StatusCode = StatusCodes.Status403Forbidden;
                        break;
                    case "Bearer broken":
                        context.Response.StatusCode = StatusCodes.Status502BadGateway;
                        break;
                    case "Bearer slow":
                        await Task.Delay(TimeSpan.FromSeconds(5), context.RequestAborted);
                        break;
                    default:
                        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                        context.Response.Headers.WWWAuthenticate = "Bearer realm=\"test\"";
                        break;
                }
            });
            await app.StartAsync();
            service.Port = new Uri(app.Urls.First()).Port;
            return service;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
