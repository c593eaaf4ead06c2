using Orleans.Proxy.Routing;
using Orleans.Proxy.Translation.Annotations;
using Orleans.Proxy.Translation.Files;
using Orleans.Proxy.Translation.Ingress;
using Orleans.Proxy.Translation.Ingress.Authentication;
using Orleans.Proxy.Testing;

namespace Orleans.Proxy.UnitTests.Translation.Annotations;

/// <summary>ingress-nginx's CORS and authentication annotations read into the route model.</summary>
public sealed class AccessAnnotationsTests
{
    private const string Apr1 = "$apr1$xyz$NU.niW1.aK5j0LYFfMca4/";

    private static (RouteSpec? Route, IReadOnlyList<Rejection> Rejections) Convert(Dictionary<string, string> annotations, string extra = "")
    {
        var yaml = Manifests.ServiceFor("web") + "---\n" + Manifests.IngressWithAnnotations("app", "app.test", annotations, ("/", "Prefix", "web")) + extra;
        var state = IngressConverter.Convert(KubernetesYamlReader.Read("test.yaml", yaml).Objects);
        return (state.Hosts.TryGetValue("app.test", out var routes) ? Assert.Single(routes) : null, state.Rejections);
    }

    private static string Secret(string name, params (string Key, string Value)[] data) =>
        $"""
        ---
        apiVersion: v1
        kind: Secret
        metadata:
          name: {name}
          namespace: test
        type: Opaque
        stringData:
        {string.Join("\n", data.Select(d => $"  {d.Key}: |\n    {d.Value.Replace("\n", "\n    ", StringComparison.Ordinal)}"))}

        """;

    [Fact]
    public void Convert_EnableCorsOnly_IngressNginxDefaults()
    {
        var (route, rejections) = Convert(new() { [AnnotationTable.NginxEnableCors.Name] = "true" });

        Assert.Empty(rejections);
        var cors = route!.Cors!;
        Assert.Equal(["*"], cors.AllowOrigins.ToArray());
        Assert.Equal(["GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"], cors.AllowMethods.ToArray());
        Assert.Contains("Authorization", cors.AllowHeaders);
        Assert.Empty(cors.ExposeHeaders);
        Assert.True(cors.AllowCredentials);
        Assert.Equal(TimeSpan.FromSeconds(1728000), cors.MaxAge);
    }

    [Fact]
    public void Convert_BadOrigin_RejectedAndCorsOff()
    {
        var (route, rejections) = Convert(new()
        {
            [AnnotationTable.NginxEnableCors.Name] = "true",
            [AnnotationTable.NginxCorsAllowOrigin.Name] = "https://ok.test, not an origin",
        });

        Assert.Null(route!.Cors);
        Assert.Contains("'not an origin' is not an origin", Assert.Single(rejections).Reason);
    }

    [Fact]
    public void Convert_CorsSettingWithoutEnable_RejectedAsNoEffect()
    {
        var (route, rejections) = Convert(new() { [AnnotationTable.NginxCorsMaxAge.Name] = "10" });

        Assert.Null(route!.Cors);
        Assert.Contains("without nginx.ingress.kubernetes.io/enable-cors", Assert.Single(rejections).Reason);
    }

    [Fact]
    public void Convert_BasicAuthFile_UsersWithHashesUnusableLinesRejected()
    {
        var (route, rejections) = Convert(
            new()
            {
                [AnnotationTable.NginxAuthType.Name] = "basic",
                [AnnotationTable.NginxAuthSecret.Name] = "users",
                [AnnotationTable.NginxAuthRealm.Name] = "Staff",
            },
            Secret("users", ("auth", $"# staff\nalice:{Apr1}\nbob:{{PLAIN}}secret\ncarol:abJnggxhB/yWI\n")));

        var auth = route!.BasicAuth!;
        Assert.Equal("Staff", auth.Realm);
        Assert.Equal([new BasicAuthUser("alice", Apr1)], auth.Users.ToArray());
        Assert.Collection(rejections,
            r => Assert.Contains("line 3 (user 'bob'): a {PLAIN} password would travel", r.Reason),
            r => Assert.Contains("line 4 (user 'carol'): crypt(3) DES is not supported", r.Reason));
    }

    [Fact]
    public void Convert_BasicAuthMap_OneUserPerKey()
    {
        var (route, rejections) = Convert(
            new()
            {
                [AnnotationTable.NginxAuthType.Name] = "basic",
                [AnnotationTable.NginxAuthSecret.Name] = "test/users",
                [AnnotationTable.NginxAuthSecretType.Name] = "auth-map",
            },
            Secret("users", ("alice", Apr1), ("dave", "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=")));

        Assert.Empty(rejections);
        Assert.Equal(["alice", "dave"], route!.BasicAuth!.Users.Select(u => u.Name));
        Assert.Equal("", route.BasicAuth.Realm);
    }

    [Theory]
    [InlineData("missing", "Secret 'test/missing' does not exist")]
    [InlineData("other/users", "is in another namespace")]
    [InlineData("empty", "holds no user with a password hash")]
    [InlineData("nokey", "has no key 'auth'")]
    public void Convert_SecretThatCannotServe_IngressRefused(string reference, string reason)
    {
        var (route, rejections) = Convert(
            new() { [AnnotationTable.NginxAuthType.Name] = "basic", [AnnotationTable.NginxAuthSecret.Name] = reference },
            Secret("empty", ("auth", "# nobody\n")) + Secret("nokey", ("users", $"alice:{Apr1}")));

        Assert.Null(route);
        Assert.Contains(rejections, r => r.Reason.Contains(reason, StringComparison.Ordinal) && r.Reason.Contains("refused", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("digest")]
    [InlineData("Basic ")]
    public void Convert_UnsupportedAuthType_IngressRefused(string type)
    {
        var (route, rejections) = Convert(new() { [AnnotationTable.NginxAuthType.Name] = type, [AnnotationTable.NginxAuthSecret.Name] = "users" }, Secret("users", ("auth", $"alice:{Apr1}")));

        Assert.Null(route);
        Assert.Contains("only auth-type is basic", Assert.Single(rejections).Reason);
    }

    [Fact]
    public void Convert_AuthUrl_AllSettingsRead()
    {
        var (route, rejections) = Convert(new()
        {
            [AnnotationTable.NginxAuthUrl.Name] = "https://$host/oauth2/auth",
            [AnnotationTable.NginxAuthMethod.Name] = "POST",
            [AnnotationTable.NginxAuthSignin.Name] = "https://$host/oauth2/start?rd=$escaped_request_uri",
            [AnnotationTable.NginxAuthResponseHeaders.Name] = "X-User, X-Email",
            [AnnotationTable.NginxAuthRequestRedirect.Name] = "https://app.test/after",
            [AnnotationTable.NginxAuthSigninRedirectParam.Name] = "return_to",
        });

        Assert.Empty(rejections);
        Assert.Equal(
            new ExternalAuthSpec("https://$host/oauth2/auth", "POST", "https://$host/oauth2/start?rd=$escaped_request_uri", ["X-User", "X-Email"], "https://app.test/after", "return_to"),
            route!.ExternalAuth! with { ResponseHeaders = ["X-User", "X-Email"] },
            new ExternalAuthComparer());
    }

    [Theory]
    [InlineData("auth-url", "ftp://auth.test/")]
    [InlineData("auth-url", "https://auth.test/$remote_user")]
    [InlineData("auth-method", "get")]
    [InlineData("auth-signin", "/relative")]
    public void Convert_BadExternalAuthValue_IngressRefused(string annotation, string value)
    {
        var annotations = new Dictionary<string, string> { [AnnotationTable.NginxAuthUrl.Name] = "http://auth.test/check" };
        annotations[AnnotationDefinition.NginxPrefix + annotation] = value;

        var (route, rejections) = Convert(annotations);

        Assert.Null(route);
        Assert.Contains("the Ingress is refused", Assert.Single(rejections).Reason);
    }

    [Fact]
    public void AuthSecretReferences_Of_OnlyAuthSecretsOfTheIngressNamespace()
    {
        var yaml = string.Join("---\n",
            Manifests.IngressWithAnnotations("a", "a.test", new Dictionary<string, string> { [AnnotationTable.NginxAuthSecret.Name] = "users" }, ("/", "Prefix", "web")),
            Manifests.IngressWithAnnotations("b", "b.test", new Dictionary<string, string> { [AnnotationTable.NginxAuthSecret.Name] = "other/users" }, ("/", "Prefix", "web")),
            Manifests.Ingress("c", "c.test", ("/", "Prefix", "web")));

        Assert.Equal(["test/users"], AuthSecretReferences.Of(KubernetesYamlReader.Read("test.yaml", yaml).Objects.Ingresses));
    }

    private sealed class ExternalAuthComparer : IEqualityComparer<ExternalAuthSpec>
    {
        public bool Equals(ExternalAuthSpec? x, ExternalAuthSpec? y) =>
            x is not null && y is not null && (x with { ResponseHeaders = [] }) == (y with { ResponseHeaders = [] }) && x.ResponseHeaders.SequenceEqual(y.ResponseHeaders);

        public int GetHashCode(ExternalAuthSpec obj) => 0;
    }
}
