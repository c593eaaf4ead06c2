using k8s.Models;
using Orleans.Proxy.Routing;
using Orleans.Proxy.Translation.Ingress;
using Orleans.Proxy.Translation.Ingress.Rules;

namespace Orleans.Proxy.UnitTests.Translation.Ingress;

public sealed class IngressRulesTests
{
    private static readonly V1IngressBackend Web = new() { Service = new() { Name = "web", Port = new() { Number = 80 } } };

    private static V1HTTPIngressPath Path(string? path, string? pathType) => new() { Backend = Web, PathType = pathType, Path = path };

    private static V1IngressSpec Spec(params (string? Host, V1HTTPIngressPath[] Paths)[] rules) => new()
    {
        Rules = [.. rules.Select(r => new V1IngressRule { Host = r.Host, Http = r.Paths.Length == 0 ? null : new V1HTTPIngressRuleValue { Paths = [.. r.Paths] } })],
    };

    [Theory]
    [InlineData(null, "*")]
    [InlineData("", "*")]
    [InlineData("Shop.Example.COM", "shop.example.com")]
    [InlineData("*.example.com", "*.example.com")]
    public void NormalizeHost_ValidHost_LowerCaseOrAnyHost(string? host, string expected) =>
        Assert.Equal(expected, IngressRules.NormalizeHost(host));

    [Theory]
    [InlineData("Bad_Host!")]
    [InlineData("*.*.example.com")]
    [InlineData("-leading.example.com")]
    public void NormalizeHost_NotADnsName_Null(string host) =>
        Assert.Null(IngressRules.NormalizeHost(host));

    [Theory]
    [InlineData("/shop/", "Prefix", "/shop", PathMatchKind.Prefix)]
    [InlineData("/", "Prefix", "/", PathMatchKind.Prefix)]
    [InlineData("/shop/", "Exact", "/shop/", PathMatchKind.Exact)]
    [InlineData(null, "ImplementationSpecific", "/", PathMatchKind.Prefix)]
    public void ReadPath_ValidPath_PathAndKind(string? path, string pathType, string expectedPath, PathMatchKind expectedKind)
    {
        var read = IngressRules.ReadPath(Path(path, pathType), PathSyntax.Kubernetes);

        Assert.Null(read.Error);
        Assert.Equal((expectedPath, expectedKind, (string?)null), (read.Path, read.Kind, read.PathRegex));
    }

    [Theory]
    [InlineData("/a", null, "pathType", "pathType is required: Exact, Prefix or ImplementationSpecific")]
    [InlineData("/a", "Regex", "pathType", "pathType 'Regex' is not one of Exact, Prefix, ImplementationSpecific")]
    [InlineData("no-slash", "Prefix", "path", "path 'no-slash' must be an absolute path starting with '/'")]
    [InlineData("/a b", "Prefix", "path", "path '/a b' may contain only URL path characters (no '{', '}', '?', '#', '//', spaces or control characters)")]
    public void ReadPath_InvalidPath_ErrorNamesTheField(string path, string? pathType, string field, string error)
    {
        var read = IngressRules.ReadPath(Path(path, pathType), PathSyntax.Kubernetes);

        Assert.Equal((field, error), (read.ErrorField, read.Error));
    }

    [Fact]
    public void ReadPath_LongerThanTheLimit_Rejected()
    {
        var read = IngressRules.ReadPath(Path("/" + new string('a', IngressRules.MaxPathLength), "Prefix"), PathSyntax.Kubernetes);

        Assert.Equal($"path is {IngressRules.MaxPathLength + 1} characters long; at most {IngressRules.MaxPathLength} are allowed", read.Error);
    }

    [Fact]
    public void ReadPath_RegexSyntax_AnchoredRegexAndLiteralPrefix()
    {
        var read = IngressRules.ReadPath(Path("/api/v[0-9]+/(.*)", "ImplementationSpecific"), new PathSyntax(true, "/$1"));

        Assert.Null(read.Error);
        Assert.Equal(("/api", PathMatchKind.Prefix, "^/api/v[0-9]+/(.*)"), (read.Path, read.Kind, read.PathRegex));
    }

    [Fact]
    public void ReadPath_RewriteTargetUsesMissingGroup_Rejected()
    {
        var read = IngressRules.ReadPath(Path("/a(.*)", "Prefix"), new PathSyntax(false, "/$3"));

        Assert.Equal(("path", "rewrite-target '/$3' uses $3 but path '/a(.*)' has only 1 capture group(s)"), (read.ErrorField, read.Error));
    }

    [Theory]
    [InlineData("/x(", "path '/x(' is not a valid regular expression: Invalid pattern '^/x(' at offset 4. Not enough )'s.")]
    [InlineData("x", "path 'x' must start with '/'")]
    public void ReadRegexPath_DoesNotCompile_NullAndError(string path, string error)
    {
        Assert.Null(IngressRules.ReadRegexPath(path, null, out var actual));
        Assert.Equal(error, actual);
    }

    [Fact]
    public void Walk_ValidRules_YieldsEachPathWithItsIdFieldAndHost()
    {
        var paths = IngressRules.Walk("Ingress shop/web", Spec(("shop.example.com", [Path("/a", "Prefix"), Path("/b", "Exact")]), (null, [Path("/", "Prefix")])), PathSyntax.Kubernetes, new List<Rejection>()).ToList();

        Assert.Equal(
            [("0.0", "spec.rules[0].http.paths[0]", "shop.example.com", "/a"), ("0.1", "spec.rules[0].http.paths[1]", "shop.example.com", "/b"), ("1.0", "spec.rules[1].http.paths[0]", "*", "/")],
            paths.Select(p => (p.Id, p.Field, p.Host, p.Path)));
    }

    [Fact]
    public void Walk_BadHostEmptyRuleBadPathNoBackend_EachRejectedAloneOthersYielded()
    {
        var rejections = new List<Rejection>();
        var spec = Spec(
            ("Bad_Host!", [Path("/", "Prefix")]),
            ("empty.example.com", []),
            ("shop.example.com", [Path("relative", "Prefix"), new V1HTTPIngressPath { PathType = "Prefix", Path = "/nobackend" }, Path("/ok", "Prefix")]));

        var paths = IngressRules.Walk("Ingress shop/web", spec, PathSyntax.Kubernetes, rejections).ToList();

        Assert.Equal("spec.rules[2].http.paths[2]", Assert.Single(paths).Field);
        Assert.Equal(
            ["spec.rules[0].host", "spec.rules[1].http.paths", "spec.rules[2].http.paths[0].path", "spec.rules[2].http.paths[1].backend"],
            rejections.Select(r => r.Field));
        Assert.All(rejections, r => Assert.Equal("Ingress shop/web", r.Object));
    }

    [Fact]
    public void Walk_Lazily_AddsAPathsRejectionWhenItReachesIt()
    {
        var rejections = new List<Rejection>();
        using var walk = IngressRules.Walk("Ingress shop/web", Spec(("shop.example.com", [Path("/ok", "Prefix"), Path("bad", "Prefix")])), PathSyntax.Kubernetes, rejections).GetEnumerator();

        Assert.True(walk.MoveNext());
        Assert.Empty(rejections);
        Assert.False(walk.MoveNext());
        Assert.Single(rejections);
    }
}
