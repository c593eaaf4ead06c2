using System.Net;
using System.Text;
using k8s;
using k8s.Models;
using Orleans.Proxy.IntegrationTests.Infrastructure;

namespace Orleans.Proxy.IntegrationTests.Kubernetes.Controller;

/// <summary>
/// The controller's Secret cache keeps the data of TLS Secrets and of the Secrets Ingresses name in
/// auth-secret: a Secret cached (without its data) before an Ingress names it is read again.
/// </summary>
public sealed class AuthSecretControllerTests
{
    private const string Ns = ControllerTestBed.Namespace;

    /// <summary>htpasswd -m: "password" with salt "xyz".</summary>
    private const string Apr1Password = "$apr1$xyz$NU.niW1.aK5j0LYFfMca4/";

    /// <summary>htpasswd -s: "password".</summary>
    private const string ShaPassword = "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=";

    [Fact]
    public async Task Controller_AuthSecretCachedBeforeTheIngress_ReadAgainAndFollowed()
    {
        await using var web = await TestBackend.StartAsync("web");
        await using var bed = await ControllerTestBed.StartAsync();
        await bed.CreateServiceAsync("web", web);
        await bed.Client.CoreV1.CreateNamespacedSecretAsync(Htpasswd("team", $"alice:{Apr1Password}"), Ns);
        // An Ingress served after the Secret was created: by then the Secret is in the cache, without its data.
        await bed.Client.NetworkingV1.CreateNamespacedIngressAsync(ControllerTestBed.Ingress("open", "open.test", paths: ("/", "web")), Ns);
        await bed.Edge.WaitForBackendAsync("open.test", "/", "web");

        var ingress = ControllerTestBed.Ingress("staff", "staff.test", paths: ("/", "web"));
        ingress.Metadata.Annotations = new Dictionary<string, string>
        {
            ["nginx.ingress.kubernetes.io/auth-type"] = "basic",
            ["nginx.ingress.kubernetes.io/auth-secret"] = "team",
            ["nginx.ingress.kubernetes.io/auth-realm"] = "Staff",
        };
        await bed.Client.NetworkingV1.CreateNamespacedIngressAsync(ingress, Ns);
        await Eventually.Until(async () => (await bed.Edge.GetAsync("staff.test", "/")).StatusCode == HttpStatusCode.Unauthorized, "the Ingress is served with Basic authentication");
        Assert.StartsWith("200 web ", await bed.Edge.GetBodyAsync("staff.test", "/", ("Authorization", Basic("alice", "password"))));

        // A change of the Secret is followed: its data is kept now that an Ingress names it.
        await bed.Client.CoreV1.ReplaceNamespacedSecretAsync(Htpasswd("team", $"bob:{ShaPassword}"), "team", Ns);
        await Eventually.Until(async () => (await bed.Edge.GetAsync("staff.test", "/", ("Authorization", Basic("bob", "password")))).StatusCode == HttpStatusCode.OK,
            "the new user of the Secret is admitted");
        Assert.StartsWith("401 ", await bed.Edge.GetBodyAsync("staff.test", "/", ("Authorization", Basic("alice", "password"))));
    }

    private static V1Secret Htpasswd(string name, string file) => new()
    {
        Metadata = new() { Name = name, NamespaceProperty = Ns },
        Type = "Opaque",
        Data = new Dictionary<string, byte[]> { ["auth"] = Encoding.UTF8.GetBytes(file + "\n") },
    };

    private static string Basic(string user, string password) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));
}
