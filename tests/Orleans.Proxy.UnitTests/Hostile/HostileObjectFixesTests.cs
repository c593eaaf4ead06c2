using System.Text;
using Orleans.Proxy.Routing;
using Orleans.Proxy.Translation.Annotations;
using Orleans.Proxy.Translation.Files;
using Orleans.Proxy.Translation.Ingress;
using Orleans.Proxy.Translation.Ingress.Rules;

namespace Orleans.Proxy.UnitTests.Hostile;

/// <summary>One regression test per finding of the hostile corpus, each on the smallest input that showed it.</summary>
public sealed class HostileObjectFixesTests
{
    private const string Ingress = """
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: web, namespace: corpus}
        spec:
          rules:
          - host: h.corpus.test
            http:
              paths: [{path: /, pathType: Prefix, backend: {service: {name: good, port: {number: 80} } } }]

        """;

    [Fact]
    public void Read_AliasBomb_RefusedBeforeAnyAliasIsExpanded()
    {
        var bomb = new StringBuilder("a0: &a0 [x]\n");
        for (var i = 1; i <= 9; i++)
        {
            bomb.Append($"a{i}: &a{i} [{string.Join(",", Enumerable.Repeat($"*a{i - 1}", 10))}]\n");
        }

        var read = KubernetesYamlReader.Read("bomb.yaml", bomb.ToString());

        var rejection = Assert.Single(read.Rejections);
        Assert.Equal("bomb.yaml", rejection.Object);
        Assert.Contains("alias", rejection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ForwardAliasBomb_RefusedBeforeAnyAliasIsExpanded()
    {
        var bomb = new StringBuilder();
        for (var i = 9; i >= 1; i--)
        {
            bomb.Append($"a{i}: &a{i} [{string.Join(",", Enumerable.Repeat($"*a{i - 1}", 10))}]\n");
        }

        var read = KubernetesYamlReader.Read("bomb.yaml", bomb.Append("a0: &a0 [x]\n").ToString());

        Assert.Equal(new Rejection("bomb.yaml", "line 1, column 10", "alias *a8 does not follow its anchor in its document (a forward alias, or one to another document)"), Assert.Single(read.Rejections));
    }

    [Fact]
    public void Read_AliasToAnotherDocument_Refused()
    {
        var read = KubernetesYamlReader.Read("two.yaml", "a: &a [x]\n---\nb: *a\n");

        Assert.Equal(new Rejection("two.yaml", "line 3, column 4", "alias *a does not follow its anchor in its document (a forward alias, or one to another document)"), Assert.Single(read.Rejections));
    }

    [Fact]
    public void Read_FlowCollectionRunningOnToALessIndentedLine_RefusedAsYamlThatDoesNotParse()
    {
        var read = KubernetesYamlReader.Read("half.yaml", "a: [b\nc: d\n");

        var rejection = Assert.Single(read.Rejections);
        Assert.Equal(("half.yaml", "line 1, column 4"), (rejection.Object, rejection.Field));
        Assert.StartsWith("YAML does not parse: ", rejection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_DeepNestingThroughAnAlias_Refused()
    {
        var deep = "d: &d " + new string('[', 40) + new string(']', 40) + "\ne: " + new string('[', 30) + "*d" + new string(']', 30) + "\n";

        var read = KubernetesYamlReader.Read("deep.yaml", deep);

        Assert.Contains(read.Rejections, r => r.Object == "deep.yaml" && r.Reason.Contains("deeper than", StringComparison.Ordinal));
    }

    [Fact]
    public void Read_NestingWithinTheLimit_Reads()
    {
        var read = KubernetesYamlReader.Read("ok.yaml", Ingress.Replace("spec:\n", "spec:\n  x: " + new string('[', 20) + new string(']', 20) + "\n", StringComparison.Ordinal));

        Assert.Empty(read.Rejections);
        Assert.Single(read.Objects.Ingresses);
    }

    [Fact]
    public void Read_InvalidUtf8_RefusedNamingTheFirstBadByte()
    {
        byte[] content = [.. Encoding.UTF8.GetBytes("apiVersion: v1\nkind: Service\nmetadata: {name: a"), 0xC3, 0x28, .. "}\n"u8];

        var read = KubernetesYamlReader.Read("bad.yaml", content);

        Assert.Equal(new Rejection("bad.yaml", "byte 47", "the input is not valid UTF-8"), Assert.Single(read.Rejections));
        Assert.Same(ClusterObjects.Empty, read.Objects);
    }

    [Fact]
    public void Read_Utf8ByteOrderMark_Reads()
    {
        var read = KubernetesYamlReader.Read("bom.yaml", [.. Encoding.UTF8.Preamble, .. Encoding.UTF8.GetBytes(Ingress)]);

        Assert.Empty(read.Rejections);
        Assert.Single(read.Objects.Ingresses);
    }

    [Fact]
    public void Read_PortBeyondInt32_RefusesThatObjectNamingIt()
    {
        var read = KubernetesYamlReader.Read("port.yaml", Ingress.Replace("number: 80", "number: 99999999999999999999", StringComparison.Ordinal));

        Assert.Contains(read.Rejections, r => r.Object.StartsWith("Ingress corpus/web (port.yaml", StringComparison.Ordinal));
        Assert.Equal("Ingress corpus/web", Assert.Single(read.Refused));
    }

    [Theory]
    [InlineData("/a\r\nX-Injected: 1")]
    [InlineData("/a\u0000b")]
    [InlineData("/a\u2028b")]
    public void Read_AnnotationWithControlCharacter_RejectedNamingTheCharacter(string value)
    {
        var reader = new AnnotationReader("Ingress corpus/web", new Dictionary<string, string> { [AnnotationTable.NginxRewriteTarget.Name] = value });

        Assert.True(reader.Read(AnnotationTable.NginxRewriteTarget).IsInvalid);
        Assert.Contains("control character U+", Assert.Single(reader.Finish()).Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("//evil.example/x")]
    [InlineData("/x%0d%0aX-Injected:%201")]
    [InlineData("/%00")]
    public void Parse_RewriteTargetLeavingThePathOrEncodingControls_Invalid(string target) =>
        Assert.False(AnnotationTypes.RewriteTarget.Parse(target).Ok);

    [Theory]
    [InlineData("/public/../admin")]
    [InlineData("/public/%2e%2e/admin")]
    [InlineData("/./admin")]
    [InlineData("/a%0Db")]
    public void CheckPath_DotSegmentsOrEncodedControls_Refused(string path) =>
        Assert.NotNull(IngressRules.CheckPath(path));

    [Theory]
    [InlineData("/admin%2Fx")]
    [InlineData("/v1.2/a..b")]
    public void CheckPath_EncodedSlashOrDotsInsideASegment_Allowed(string path) =>
        Assert.Null(IngressRules.CheckPath(path));

    [Theory]
    [InlineData("name: UPPER", "metadata.name")]
    [InlineData("name: under_score", "metadata.name")]
    [InlineData("namespace: a.b", "metadata.namespace")]
    public void Convert_NameKubernetesWouldRefuse_RefusesTheIngress(string replacement, string field)
    {
        var yaml = Ingress.Replace(replacement.StartsWith("name:", StringComparison.Ordinal) ? "name: web" : "namespace: corpus", replacement, StringComparison.Ordinal);

        var desired = Convert(yaml);

        Assert.Contains(desired.Rejections, r => r.Field == field);
        Assert.Empty(desired.Hosts);
        Assert.Single(desired.Refused);
    }

    [Fact]
    public void Convert_AnnotationsOverTheKubernetesLimit_RefusesTheIngress()
    {
        var desired = Convert(Ingress.Replace("namespace: corpus}", $"namespace: corpus, annotations: {{example.com/big: \"{new string('a', 300_000)}\"}}}}", StringComparison.Ordinal));

        Assert.Contains(desired.Rejections, r => r.Field == "metadata.annotations" && r.Reason.Contains("262144", StringComparison.Ordinal));
        Assert.Empty(desired.Hosts);
    }

    [Fact]
    public void Convert_SameNamespaceAndNameTwice_ServesTheFirstAndRejectsTheSecond()
    {
        var desired = Convert(Ingress + "---\n" + Ingress.Replace("path: /,", "path: /second,", StringComparison.Ordinal));

        Assert.Equal(["/"], desired.Hosts["h.corpus.test"].Select(r => r.Path));
        Assert.Contains(desired.Rejections, r => r.Object == "Ingress corpus/web" && r.Reason.Contains("namespace and name", StringComparison.Ordinal));
        Assert.Empty(desired.Refused);
    }

    [Fact]
    public void Convert_HostWithTerminalEscape_RejectionQuotesItEscaped()
    {
        var desired = Convert(Ingress.Replace("host: h.corpus.test", "host: \"a\\e[31mb\\r\\nc.corpus.test\"", StringComparison.Ordinal));

        var rejection = Assert.Single(desired.Rejections, r => r.Field.EndsWith(".host", StringComparison.Ordinal));
        Assert.Contains("a\\u001B[31mb\\u000D\\u000Ac.corpus.test", rejection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Convert_HugeRejectedValue_RejectionCutToOneKilobyte()
    {
        var desired = Convert(Ingress.Replace("host: h.corpus.test", $"host: \"{new string('a', 5000)}_\"", StringComparison.Ordinal));

        Assert.All(desired.Rejections, r => Assert.True(r.Reason.Length <= 1024 + 3, $"{r.Reason.Length} characters"));
    }

    [Fact]
    public void Convert_PortWithNumberAndName_RejectsThePath()
    {
        var desired = Convert(Ingress.Replace("{number: 80}", "{number: 80, name: http}", StringComparison.Ordinal));

        Assert.Contains(desired.Rejections, r => r.Reason.Contains("both port.number and port.name", StringComparison.Ordinal));
        Assert.Empty(desired.Hosts);
    }

    [Theory]
    [InlineData("{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: X-A, value: \"a\\r\\nX-Injected: 1\"}]}}", "requestHeaderModifier.set[0].value")]
    [InlineData("{type: ResponseHeaderModifier, responseHeaderModifier: {add: [{name: \"X-A: b\", value: c}]}}", "responseHeaderModifier.add[0].name")]
    [InlineData("{type: RequestRedirect, requestRedirect: {hostname: \"a\\r\\nb.example\"}}", "requestRedirect.hostname")]
    [InlineData("{type: RequestRedirect, requestRedirect: {port: 70000}}", "requestRedirect.port")]
    [InlineData("{type: URLRewrite, urlRewrite: {hostname: \"bad host\"}}", "urlRewrite.hostname")]
    [InlineData("{type: URLRewrite, urlRewrite: {path: {type: ReplaceFullPath, replaceFullPath: \"/a\\nb\"}}}", "urlRewrite.path")]
    public void Convert_HttpRouteFilterWithHostileValue_RefusesTheRule(string filter, string field)
    {
        var desired = Convert(HttpRoute($"    filters: [{filter}]\n"));

        Assert.Contains(desired.Rejections, r => r.Object == "HTTPRoute corpus/evil" && r.Field.EndsWith(field, StringComparison.Ordinal));
        Assert.False(desired.Hosts.ContainsKey("evil.gw.corpus.test"));
    }

    [Fact]
    public void Convert_HttpRouteHeaderMatchWithControlCharacter_RefusesTheRule()
    {
        var desired = Convert(HttpRoute(string.Empty, match: "{headers: [{name: X-A, value: \"a\\r\\nb\"}]}"));

        Assert.Contains(desired.Rejections, r => r.Object == "HTTPRoute corpus/evil" && r.Field.EndsWith("headers[0].value", StringComparison.Ordinal));
    }

    [Fact]
    public void Convert_HttpRouteWeightOutOfRange_AnswersThatShare500()
    {
        var desired = Convert(HttpRoute(string.Empty, weight: "-1"));

        Assert.Contains(desired.Rejections, r => r.Object == "HTTPRoute corpus/evil" && r.Field.EndsWith("weight", StringComparison.Ordinal));
    }

    private static DesiredState Convert(string yaml)
    {
        var good = KubernetesYamlReader.Read("good.yaml", HostileCorpus.Good);
        var read = KubernetesYamlReader.Read("input.yaml", yaml);
        var desired = IngressConverter.Convert(ClusterObjects.Combine([good.Objects, read.Objects]));
        return desired with
        {
            Hosts = desired.Hosts.Remove(HostileCorpus.GoodHost).Remove(HostileCorpus.GoodGatewayHost),
            Rejections = [.. read.Rejections, .. desired.Rejections],
        };
    }

    private static string HttpRoute(string filters, string match = "{path: {type: PathPrefix, value: /}}", string weight = "1") => $$"""
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: evil, namespace: corpus}
        spec:
          parentRefs: [{name: gw}]
          hostnames: [evil.gw.corpus.test]
          rules:
          - matches: [{{match}}]
        {{filters}}    backendRefs: [{name: good, port: 80, weight: {{weight}}}]

        """;
}
