using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Proxy.IntegrationTests.Infrastructure;
using Orleans.Proxy.Silo.RouteSources.Kubernetes.Admission;

namespace Orleans.Proxy.IntegrationTests.Kubernetes.Controller;

/// <summary>The admission webhook of a silo, called as the API server calls it: AdmissionReview v1 over HTTPS on 127.0.0.1.</summary>
public sealed class AdmissionWebhookTests
{
    private const string Nginx = "nginx.ingress.kubernetes.io/";

    [Fact]
    public async Task Webhook_AdmissionReviews_DeniesWhatTheControllerWouldRefuseWhole_WithItsReason_WarnsOnPartialRefusals()
    {
        using var files = new TempDirectory();
        using var certificate = SelfSigned(files);
        await using var bed = await ControllerTestBed.StartAsync(new Dictionary<string, string?>
        {
            ["AdmissionWebhook:Enabled"] = "true",
            ["AdmissionWebhook:Address"] = "127.0.0.1",
            ["AdmissionWebhook:Port"] = "0",
            ["AdmissionWebhook:CertificateFile"] = Path.Combine(files.Path, "tls.crt"),
            ["AdmissionWebhook:KeyFile"] = Path.Combine(files.Path, "tls.key"),
        });
        bed.Server.Inject(new V1Service { Metadata = new() { Name = "web", NamespaceProperty = ControllerTestBed.Namespace }, Spec = new() { Ports = [new V1ServicePort { Name = "http", Port = 80 }] } });
        // Every silo answers, leader or not.
        var urls = bed.Cluster.Cluster.Silos.Select(s => s.SiloHost.Services.GetRequiredService<AdmissionWebhookServer>().Url!).ToList();
        Assert.Equal(2, urls.Count);
        using var client = Client(certificate.Thumbprint);

        foreach (var url in urls)
        {
            await Eventually.Until(async () => (await ReviewAsync(client, url, Ingress("valid", ("/", "web")))).Status == HttpStatusCode.OK, "the caches have synced");
            var valid = await ReviewAsync(client, url, Ingress("valid", ("/", "web")));
            Assert.Equal((true, null, 0), (valid.Allowed, valid.Message, valid.Warnings.Count));
        }

        // Refused whole: denied, with the reason the controller gives.
        var badRange = Ingress("bad-range", ("/", "web"));
        badRange.Metadata.Annotations = new Dictionary<string, string> { [Nginx + "whitelist-source-range"] = "10.0.0.0/33" };
        var denied = await ReviewAsync(client, urls[0], badRange);
        Assert.False(denied.Allowed);
        Assert.StartsWith("Ingress shop/bad-range would be refused: metadata.annotations[nginx.ingress.kubernetes.io/whitelist-source-range]: '10.0.0.0/33' is not", denied.Message, StringComparison.Ordinal);

        // Refused in part: allowed, the refusals as warnings (kubectl prints them).
        var snippet = Ingress("snippet", ("/", "web"), ("/(broken", "web"));
        snippet.Metadata.Annotations = new Dictionary<string, string> { [Nginx + "configuration-snippet"] = "more_set_headers \"X: y\";", [Nginx + "use-regex"] = "true" };
        var warned = await ReviewAsync(client, urls[1], snippet);
        Assert.True(warned.Allowed);
        Assert.Contains(warned.Warnings, w => w.StartsWith("metadata.annotations[nginx.ingress.kubernetes.io/configuration-snippet]: refused", StringComparison.Ordinal));
        Assert.Contains(warned.Warnings, w => w.StartsWith("spec.rules[0].http.paths[1].path: ", StringComparison.Ordinal));

        // Another class is not ours to judge; a Service not created yet does not count against an Ingress.
        var theirs = Ingress("theirs", ("/", "web"));
        theirs.Spec.IngressClassName = "nginx";
        theirs.Metadata.Annotations = badRange.Metadata.Annotations;
        Assert.True((await ReviewAsync(client, urls[0], theirs)).Allowed);
        Assert.True((await ReviewAsync(client, urls[0], Ingress("service-later", ("/", "not-yet-created")))).Allowed);

        // The controller, given the denied Ingress anyway (no webhook in the way), logs the very same reason.
        badRange.Metadata.NamespaceProperty = ControllerTestBed.Namespace;
        bed.Server.Inject(badRange);
        var reason = "";
        await Eventually.Until(async () =>
        {
            var rejection = (await bed.Edge.DiagAsync("/diag/cluster/rejections")).EnumerateArray().FirstOrDefault(r => r.GetProperty("object").GetString() == "Ingress shop/bad-range");
            reason = rejection.ValueKind == System.Text.Json.JsonValueKind.Undefined ? "" : $"{rejection.GetProperty("field").GetString()}: {rejection.GetProperty("reason").GetString()}";
            return reason.Length > 0;
        }, "the controller reports the Ingress");
        Assert.Equal($"Ingress shop/bad-range would be refused: {reason}", denied.Message);

        // Not an AdmissionReview: 400.
        using var garbage = await client.PostAsync(urls[0], new StringContent("{\"kind\":\"Nope\"}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, garbage.StatusCode);
    }

    private static V1Ingress Ingress(string name, params (string Path, string Service)[] paths)
    {
        var ingress = ControllerTestBed.Ingress(name, $"{name}.test", paths: paths);
        ingress.ApiVersion = "networking.k8s.io/v1";
        ingress.Kind = "Ingress";
        return ingress;
    }

    /// <summary>An AdmissionReview v1 request as the API server sends it for a create (the object has no namespace yet).</summary>
    private static async Task<(HttpStatusCode Status, bool Allowed, string? Message, List<string> Warnings)> ReviewAsync(HttpClient client, Uri url, V1Ingress ingress)
    {
        var uid = Guid.NewGuid().ToString();
        var review = new JsonObject
        {
            ["apiVersion"] = "admission.k8s.io/v1",
            ["kind"] = "AdmissionReview",
            ["request"] = new JsonObject
            {
                ["uid"] = uid,
                ["kind"] = new JsonObject { ["group"] = "networking.k8s.io", ["version"] = "v1", ["kind"] = "Ingress" },
                ["resource"] = new JsonObject { ["group"] = "networking.k8s.io", ["version"] = "v1", ["resource"] = "ingresses" },
                ["name"] = ingress.Metadata.Name,
                ["namespace"] = ControllerTestBed.Namespace,
                ["operation"] = "CREATE",
                ["object"] = JsonNode.Parse(KubernetesJson.Serialize(ingress)),
            },
        };
        using var response = await client.PostAsync(url, new StringContent(review.ToJsonString(), Encoding.UTF8, "application/json"));
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return (response.StatusCode, false, null, []);
        }

        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(("admission.k8s.io/v1", "AdmissionReview"), (answer["apiVersion"]!.GetValue<string>(), answer["kind"]!.GetValue<string>()));
        var result = answer["response"]!;
        Assert.Equal(uid, result["uid"]!.GetValue<string>());
        return (response.StatusCode, result["allowed"]!.GetValue<bool>(), result["status"]?["message"]?.GetValue<string>(),
            [.. (result["warnings"]?.AsArray() ?? []).Select(w => w!.GetValue<string>())]);
    }

    /// <summary>A client that accepts the webhook's certificate only: the API server checks it against caBundle the same way.</summary>
    private static HttpClient Client(string thumbprint) => new(new SocketsHttpHandler
    {
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && new X509Certificate2(presented).Thumbprint == thumbprint,
        },
    });

    private static X509Certificate2 SelfSigned(TempDirectory files)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=orleans-proxy-webhook.orleans-proxy.svc", key, HashAlgorithmName.SHA256);
        var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1));
        files.Write("tls.crt", certificate.ExportCertificatePem());
        files.Write("tls.key", key.ExportPkcs8PrivateKeyPem());
        return certificate;
    }
}
