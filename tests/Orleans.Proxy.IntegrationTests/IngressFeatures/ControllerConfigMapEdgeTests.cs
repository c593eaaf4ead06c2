using System.Net;
using System.Net.Security;
using Orleans.Proxy.IntegrationTests.Infrastructure;
using Orleans.Proxy.Testing;

namespace Orleans.Proxy.IntegrationTests.IngressFeatures;

/// <summary>The controller ConfigMap in file mode: its keys change what a real edge does, and a change applies without a restart.</summary>
public sealed class ControllerConfigMapEdgeTests
{
    private const string Nginx = "nginx.ingress.kubernetes.io/";

    internal static string ConfigMap(params (string Key, string Value)[] data) => $"""
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: orleans-proxy-controller
          namespace: orleans-proxy
        data:
        {string.Concat(data.Select(d => $"  {d.Key}: \"{d.Value}\"\n"))}
        """;

    [Fact]
    public async Task Proxy_ConfigMapKeys_ApplyAsGlobalDefaults_AndAChangedFileAppliesWithoutRestart()
    {
        await using var web = await TestBackend.StartAsync("web");
        using var routes = new TempDirectory();
        routes.Write("services.yaml", Manifests.ServiceFor("web", web));
        routes.Write("ingress.yaml", Manifests.Ingress("plain", "plain.test", ("/", "Prefix", "web")) + "---\n"
            + Manifests.IngressWithAnnotations("sized", "sized.test", new Dictionary<string, string> { [Nginx + "proxy-body-size"] = "20" }, ("/", "Prefix", "web")) + "---\n"
            + Manifests.IngressWithAnnotations("limited", "limited.test", new Dictionary<string, string> { [Nginx + "limit-rps"] = "1", [Nginx + "limit-burst-multiplier"] = "1" }, ("/", "Prefix", "web")));
        routes.Write("configmap.yaml", ConfigMap(
            ("hsts", "true"), ("hsts-max-age", "600"), ("compute-full-forwarded-for", "true"), ("proxy-body-size", "10"),
            ("proxy-read-timeout", "1"), ("limit-req-status-code", "503"), ("use-forwarded-headers", "true")));
        var httpsPort = FreePorts.Next();
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path, new Dictionary<string, string?> { ["Edge:HttpsPort"] = $"{httpsPort}" });
        using var https = Https(httpsPort);
        await edge.WaitForBackendAsync("limited.test", "/", "web");

        // hsts: on HTTPS responses only, the edge's own 413 included.
        using (var response = await SendAsync(https, "plain.test", "/"))
        {
            Assert.Equal((HttpStatusCode.OK, "max-age=600; includeSubDomains"), (response.StatusCode, response.Headers.GetValues("Strict-Transport-Security").Single()));
        }

        using (var response = await SendAsync(https, "plain.test", "/", body: "0123456789A"))
        {
            Assert.Equal((HttpStatusCode.RequestEntityTooLarge, "max-age=600; includeSubDomains"), (response.StatusCode, response.Headers.GetValues("Strict-Transport-Security").Single()));
        }

        using (var response = await edge.GetAsync("plain.test", "/"))
        {
            Assert.False(response.Headers.Contains("Strict-Transport-Security"));
        }

        // proxy-body-size: the global default, and the annotation wins over it.
        Assert.Equal(HttpStatusCode.OK, await PostAsync(edge, "plain.test", "0123456789"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, await PostAsync(edge, "plain.test", "0123456789A"));
        Assert.Equal(HttpStatusCode.OK, await PostAsync(edge, "sized.test", "0123456789A"));

        // compute-full-forwarded-for: the client's X-Forwarded-For is kept, the client's address appended.
        Assert.Equal("203.0.113.9, 127.0.0.1", await ForwardedForAsync(edge, web));

        // proxy-read-timeout: a backend slower than 1 s gets 504.
        Assert.StartsWith("504 ", await edge.GetBodyAsync("plain.test", "/?delay-ms=2500"));

        // limit-req-status-code: a refused request gets 503.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await FirstRefusalAsync(edge));

        // use-forwarded-headers is refused (the edges' trusted proxies decide), reported naming the ConfigMap and key.
        var rejection = Assert.Single((await edge.DiagAsync("/diag/cluster/rejections")).EnumerateArray(), r => r.GetProperty("object").GetString() == "ConfigMap orleans-proxy/orleans-proxy-controller");
        Assert.Equal("data[use-forwarded-headers]", rejection.GetProperty("field").GetString());

        // A new ConfigMap: every behaviour follows it, with no restart.
        routes.Write("configmap.yaml", ConfigMap(("proxy-body-size", "15")));
        await Eventually.Until(async () => await PostAsync(edge, "plain.test", "0123456789ABC") == HttpStatusCode.OK, "the new proxy-body-size applies");
        using (var response = await SendAsync(https, "plain.test", "/"))
        {
            Assert.False(response.Headers.Contains("Strict-Transport-Security"));
        }

        Assert.Equal("127.0.0.1", await ForwardedForAsync(edge, web));
        Assert.StartsWith("200 web ", await edge.GetBodyAsync("plain.test", "/?delay-ms=1500"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await FirstRefusalAsync(edge));
        Assert.DoesNotContain((await edge.DiagAsync("/diag/cluster/rejections")).EnumerateArray(), r => r.GetProperty("object").GetString()!.StartsWith("ConfigMap ", StringComparison.Ordinal));
    }

    private static HttpClient Https(int port) => new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        // The edge's self-signed default certificate: no name to check it against.
        SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true },
    })
    {
        BaseAddress = new Uri($"https://127.0.0.1:{port}"),
    };

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, string host, string path, string? body = null)
    {
        var request = new HttpRequestMessage(body is null ? HttpMethod.Get : HttpMethod.Post, path) { Content = body is null ? null : new StringContent(body) };
        request.Headers.Host = host;
        return client.SendAsync(request);
    }

    private static async Task<HttpStatusCode> PostAsync(TestEdge edge, string host, string body)
    {
        using var response = await SendAsync(edge.Public, host, "/", body);
        return response.StatusCode;
    }

    private static async Task<string> ForwardedForAsync(TestEdge edge, TestBackend web)
    {
        web.SeenHeaders.Clear();
        Assert.StartsWith("200 web ", await edge.GetBodyAsync("plain.test", "/xff", ("X-Forwarded-For", "203.0.113.9")));
        return Assert.Single(web.SeenHeaders)["X-Forwarded-For"];
    }

    /// <summary>The status of the first request limit-rps (1 per second, burst 1) refuses.</summary>
    private static async Task<HttpStatusCode> FirstRefusalAsync(TestEdge edge)
    {
        for (var i = 0; i < 50; i++)
        {
            using var response = await edge.GetAsync("limited.test", "/");
            if (response.StatusCode != HttpStatusCode.OK)
            {
                Assert.True(response.Headers.Contains("Retry-After"));
                return response.StatusCode;
            }
        }

        throw new Xunit.Sdk.XunitException("no request was limited");
    }
}
