using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace Orleans.Proxy.UnitTests.Hostile;

/// <summary>One hostile input: its file name, its bytes, and what must happen to it.</summary>
/// <param name="Expect">"rejected: X", a rejection's object must contain X; or "accepted HOST: why" for a valid object whose danger
/// is handled elsewhere (a regex that backtracks catastrophically, which the edge runs without backtracking), HOST being served.</param>
internal sealed record CorpusCase(string Name, byte[] Content, string Expect);

/// <summary>
/// The hostile-object corpus. <see cref="Generated"/> writes corpus/generated deterministically (the checked-in files must
/// equal it: UPDATE_CORPUS=1 rewrites them); <see cref="Large"/> are too big to check in and are built at test time;
/// corpus/hand holds hand-written ones. Every file's first line is "# expect: ...". The hostile objects point at the
/// known-good Service "good", so what refuses them is the hostile part, not a missing backend.
/// </summary>
internal static class HostileCorpus
{
    public const string Ns = "corpus";
    public const string GoodHost = "good.corpus.test";
    public const string GoodGatewayHost = "good.gw.corpus.test";

    /// <summary>The known-good objects every case is converted with (a second input, as a second file is).</summary>
    public const string Good = """
        apiVersion: v1
        kind: Service
        metadata: {name: good, namespace: corpus}
        spec: {ports: [{name: http, port: 80}]}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: good-1, namespace: corpus, labels: {kubernetes.io/service-name: good}}
        addressType: IPv4
        ports: [{name: http, port: 8080}]
        endpoints: [{addresses: ["10.0.0.1"], conditions: {ready: true}}]
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: good, namespace: corpus, creationTimestamp: "2020-01-01T00:00:00Z"}
        spec:
          rules:
          - host: good.corpus.test
            http:
              paths:
              - {path: /, pathType: Prefix, backend: {service: {name: good, port: {number: 80} } } }
              - {path: /admin, pathType: Prefix, backend: {service: {name: good, port: {number: 80} } } }
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: GatewayClass
        metadata: {name: ours}
        spec: {controllerName: orleans-proxy.io/gateway-controller}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: corpus}
        spec:
          gatewayClassName: ours
          listeners: [{name: http, port: 80, protocol: HTTP}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: good-route, namespace: corpus, creationTimestamp: "2020-01-01T00:00:00Z"}
        spec:
          parentRefs: [{name: gw}]
          hostnames: [good.gw.corpus.test]
          rules: [{backendRefs: [{name: good, port: 80}]}]

        """;

    private static readonly (string Name, string Text)[] ControlCharacters =
    [
        ("crlf", "\r\n"), ("lf", "\n"), ("cr", "\r"), ("nul", "\0"), ("esc", "\u001b"), ("del", "\u007f"), ("nel", "\u0085"), ("ls", "\u2028"), ("bell", "\u0007"),
    ];

    /// <summary>Every file of corpus/generated, in order.</summary>
    public static IEnumerable<CorpusCase> Generated()
    {
        // Deep nesting: refused by the reader before a node is built.
        foreach (var depth in new[] { 65, 100, 1_000, 10_000, 50_000 })
        {
            yield return FileLevel($"deep-sequence-{depth}", IngressYaml("deep", extraSpec: $"  extra: {new string('[', depth)}{new string(']', depth)}\n"));
        }

        foreach (var depth in new[] { 65, 500, 5_000, 20_000 })
        {
            yield return FileLevel($"deep-mapping-{depth}", IngressYaml("deep", extraSpec: "  extra: " + string.Concat(Enumerable.Repeat("{a: ", depth)) + "1" + new string('}', depth) + "\n"));
        }

        yield return FileLevel("deep-block-mapping-100", IngressYaml("deep", extraSpec: string.Concat(Enumerable.Range(0, 100).Select(i => new string(' ', 2 + (2 * i)) + "a:\n")) + new string(' ', 202) + "b: 1\n"));
        yield return FileLevel("deep-list-of-lists-2000", "apiVersion: v1\nkind: List\nitems: " + new string('[', 2_000) + new string(']', 2_000) + "\n");

        // Alias bombs: a few hundred bytes that expand past the node limit.
        foreach (var (width, levels) in new[] { (10, 7), (10, 8), (10, 9), (10, 12), (2, 22), (2, 30), (2, 64), (100, 4), (100, 6), (1000, 3) })
        {
            foreach (var place in new[] { "spec", "annotations" })
            {
                yield return FileLevel($"alias-bomb-{width}x{levels}-{place}", AliasBomb(width, levels, place));
            }
        }

        // Forward alias bombs: every alias before its anchor (YamlDotNet resolves them), so no level is counted when it is expanded.
        foreach (var (width, levels) in new[] { (10, 7), (10, 9), (2, 30) })
        {
            yield return FileLevel($"alias-bomb-forward-{width}x{levels}", AliasBomb(width, levels, "spec", forward: true));
        }

        // Invalid UTF-8 in a name, a host, a path and an annotation value.
        byte[][] invalid = [[0xC3, 0x28], [0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xFE, 0xFF]];
        for (var i = 0; i < invalid.Length; i++)
        {
            foreach (var field in new[] { "name", "host", "path", "annotation" })
            {
                var marker = "@@INVALID@@";
                var yaml = field switch
                {
                    "name" => IngressYaml("bad" + marker),
                    "host" => IngressYaml("utf8", host: "h" + marker + ".corpus.test"),
                    "path" => IngressYaml("utf8", path: "/p" + marker),
                    _ => IngressYaml("utf8", annotations: ["nginx.ingress.kubernetes.io/rewrite-target: \"/x" + marker + "\""]),
                };
                var parts = yaml.Split(marker);
                var name = $"invalid-utf8-{i}-{field}";
                yield return new CorpusCase(name + ".yaml", [.. Header($"rejected: {name}.yaml"), .. Encoding.UTF8.GetBytes(parts[0]), .. invalid[i], .. Encoding.UTF8.GetBytes(parts[1])], $"rejected: {name}.yaml");
            }
        }

        // Duplicate keys: which one wins is not for the reader to guess.
        yield return FileLevel("duplicate-name", IngressYaml("dup").Replace("  name: dup\n", "  name: dup\n  name: good\n", StringComparison.Ordinal));
        yield return FileLevel("duplicate-kind", IngressYaml("dup").Replace("kind: Ingress\n", "kind: Ingress\nkind: Service\n", StringComparison.Ordinal));
        yield return FileLevel("duplicate-apiversion", IngressYaml("dup").Replace("kind: Ingress\n", "kind: Ingress\napiVersion: v1\n", StringComparison.Ordinal));
        yield return FileLevel("duplicate-annotation", IngressYaml("dup", annotations: ["nginx.ingress.kubernetes.io/whitelist-source-range: 10.0.0.0/8", "nginx.ingress.kubernetes.io/whitelist-source-range: 0.0.0.0/0"]));
        yield return FileLevel("duplicate-spec", IngressYaml("dup") + "spec: {}\n");
        yield return FileLevel("duplicate-metadata", IngressYaml("dup") + "metadata: {name: good, namespace: corpus}\n");
        yield return FileLevel("duplicate-host", IngressYaml("dup").Replace("  - host: h.corpus.test\n", "  - host: h.corpus.test\n    host: good.corpus.test\n", StringComparison.Ordinal));
        yield return FileLevel("duplicate-path", IngressYaml("dup").Replace("      - path: \"/\"\n", "      - path: \"/\"\n        path: /admin\n", StringComparison.Ordinal));

        // Control characters in hosts, paths and annotation values (CR/LF would split a header).
        foreach (var (name, text) in ControlCharacters)
        {
            yield return Rejected($"control-{name}-host", "Ingress corpus/ctl", IngressYaml("ctl", host: Quote("a" + text + "b.corpus.test")));
            yield return Rejected($"control-{name}-path", "Ingress corpus/ctl", IngressYaml("ctl", path: Quote("/a" + text + "b")));
            foreach (var (annotation, before, after) in AnnotationsWithText)
            {
                yield return Rejected($"control-{name}-{annotation}", "Ingress corpus/ctl",
                    IngressYaml("ctl", annotations: [$"{Prefix(annotation)}{annotation}: {Quote(before + text + after)}"]));
            }
        }

        // Rewrite targets that try to add a header, leave the path or change the host.
        string[] rewrites = ["/x\r\nX-Injected: 1", "/x%0d%0aX-Injected:%201", "/x%0AX-Injected:%201", "http://evil.example/", "//evil.example/x", "/$1\r\nHost: evil.example", "/x?y=%0d%0a", "/%00"];
        for (var i = 0; i < rewrites.Length; i++)
        {
            yield return Rejected($"rewrite-inject-{i}", "Ingress corpus/rewrite",
                IngressYaml("rewrite", path: Quote("/(.*)"), annotations: ["nginx.ingress.kubernetes.io/use-regex: \"true\"", $"nginx.ingress.kubernetes.io/rewrite-target: {Quote(rewrites[i])}"]));
        }

        // Regex paths that backtrack catastrophically: valid, so served; the edge runs them without backtracking.
        string[] linear = ["/(a+)+$", "/(a|a)+$", "/(a|aa)+$", "/(.*a){12}", "/((a+)+)+$", "/(\\w+\\s?)+$", "/([a-zA-Z]+)*$", "/(a*)*b", "/(x+x+)+y", "/(.*){1,100}[bc]", "/(?:a?){25}a{25}", "/(\\d+|\\d+\\.)+$"];
        for (var i = 0; i < linear.Length; i++)
        {
            yield return Case($"regex-catastrophic-{i}", "accepted h.corpus.test: the edge compiles it NonBacktracking (linear in the path length)",
                IngressYaml("regex", path: Quote(linear[i]), annotations: ["nginx.ingress.kubernetes.io/use-regex: \"true\""]));
        }

        // Constructs only a backtracking engine runs: served with a match timeout per request.
        string[] backtracking = ["/(a+)\\1+$", "/(?=(a+))\\1*b", "/(?<=a+)b", "/(?>a+)+b", "/(?!x)(a+)+$"];
        for (var i = 0; i < backtracking.Length; i++)
        {
            yield return Case($"regex-backtracking-only-{i}", "accepted h.corpus.test: the edge runs it with a 100 ms match timeout (no NonBacktracking form)",
                IngressYaml("regex", path: Quote(backtracking[i]), annotations: ["nginx.ingress.kubernetes.io/use-regex: \"true\""]));
        }

        string[] broken = ["/(unclosed", "/[z-a]", "/a{2,1}", "/(?<n>a)(?<n", "/\\", "/(?P<x>a)", "/a**"];
        for (var i = 0; i < broken.Length; i++)
        {
            yield return Rejected($"regex-invalid-{i}", "Ingress corpus/regex",
                IngressYaml("regex", path: Quote(broken[i]), annotations: ["nginx.ingress.kubernetes.io/use-regex: \"true\""]));
        }

        // Names and ports out of range.
        foreach (var (label, name) in new[] { ("long", new string('n', 254)), ("upper", "UPPER"), ("underscore", "under_score"), ("leading-dash", "-lead"), ("slash", "a/b"), ("space", "a b") })
        {
            yield return Rejected($"name-{label}", "Ingress corpus/" + name[..Math.Min(name.Length, 20)], IngressYaml(Quote(name)));
        }

        foreach (var (label, ns) in new[] { ("long", new string('n', 64)), ("upper", "NS"), ("dot", "a.b") })
        {
            yield return Rejected($"namespace-{label}", $"Ingress {ns}/ns", IngressYaml("ns", ns: Quote(ns)));
        }

        foreach (var (label, port) in new[] { ("zero", "number: 0"), ("negative", "number: -1"), ("65536", "number: 65536"), ("int-overflow", "number: 2147483648"), ("huge", "number: 99999999999999999999"), ("float", "number: 80.5"), ("name-upper", "name: HTTP"), ("name-long", "name: abcdefghijklmnopq"), ("both", "{number: 80, name: http}") })
        {
            yield return Rejected($"port-{label}", "Ingress corpus/port", IngressYaml("port", port: port));
        }

        foreach (var (label, service) in new[] { ("upper", "Good"), ("long", new string('s', 64)), ("underscore", "go_od"), ("empty", "\"\"") })
        {
            yield return Rejected($"service-name-{label}", "Ingress corpus/svc", IngressYaml("svc", service: service));
        }

        // Conflicts: a newer Ingress claiming a path the good one serves loses it; so does a second default backend.
        yield return Rejected("conflict-same-path", "Ingress corpus/hijack", IngressYaml("hijack", host: GoodHost, creation: "2030-01-01T00:00:00Z"));
        yield return Rejected("conflict-same-admin", "Ingress corpus/hijack", IngressYaml("hijack", host: GoodHost, path: "/admin", creation: "2030-01-01T00:00:00Z"));
        yield return Rejected("conflict-trailing-slash", "Ingress corpus/hijack", IngressYaml("hijack", host: GoodHost, path: "/admin/", creation: "2030-01-01T00:00:00Z"));
        yield return Rejected("conflict-upper-host", "Ingress corpus/hijack", IngressYaml("hijack", host: "GOOD.corpus.test", creation: "2030-01-01T00:00:00Z"));
        yield return Rejected("conflict-two-default-backends", "Ingress corpus/default-b", DefaultBackend("default-a", "2025-01-01T00:00:00Z") + "---\n" + DefaultBackend("default-b", "2030-01-01T00:00:00Z"));
        yield return Rejected("conflict-same-name-twice", "Ingress corpus/twice", IngressYaml("twice", host: "twice.corpus.test") + "---\n" + IngressYaml("twice", host: "twice.corpus.test", path: "/other"));

        // TLS Secrets whose PEM is not a certificate and key.
        foreach (var (label, crt, key) in new[]
        {
            ("garbage", "bm90IGEgY2VydA==", "bm90IGEga2V5"),
            ("empty", "", ""),
            ("truncated", Base64("-----BEGIN CERTIFICATE-----\nMIIB\n"), Base64("-----BEGIN PRIVATE KEY-----\nMIIB\n")),
            ("no-end", Base64("-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n"), Base64("-----BEGIN EC PRIVATE KEY-----\n")),
            ("key-as-cert", Base64("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), Base64("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")),
            ("binary", Base64("\u0000\u0001\u0002\u00ff"), Base64("\u0000")),
            ("crlf-header", Base64("-----BEGIN CERTIFICATE-----\r\nX-Injected: 1\r\n-----END CERTIFICATE-----\r\n"), Base64("x")),
            ("bad-base64", "!!!not base64!!!", "%%%"),
        })
        {
            yield return Rejected($"secret-pem-{label}", "corpus/tls", TlsSecret(crt, key) + "---\n" + IngressYaml("tls", host: "tls.corpus.test", tls: "  tls: [{hosts: [tls.corpus.test], secretName: tls}]\n"));
        }

        // Gateway API HTTPRoutes with hostile regexes and values.
        string[] routeRegexes = ["(a+)\\1+$", "(?=a)a", "(?<=a)b", "(unclosed", "[z-a]", "(?>a+)b"];
        for (var i = 0; i < routeRegexes.Length; i++)
        {
            var value = Quote(routeRegexes[i]);
            yield return Rejected($"httproute-path-regex-{i}", "HTTPRoute corpus/evil", HttpRoute(match: $"{{path: {{type: RegularExpression, value: {Quote("/" + routeRegexes[i])}}}}}"));
            yield return Rejected($"httproute-header-regex-{i}", "HTTPRoute corpus/evil", HttpRoute(match: $"{{headers: [{{type: RegularExpression, name: X-A, value: {value}}}]}}"));
            yield return Rejected($"httproute-query-regex-{i}", "HTTPRoute corpus/evil", HttpRoute(match: $"{{queryParams: [{{type: RegularExpression, name: q, value: {value}}}]}}"));
        }

        foreach (var (name, text) in ControlCharacters.Take(5))
        {
            yield return Rejected($"httproute-{name}-hostname", "HTTPRoute corpus/evil", HttpRoute(hostname: Quote("a" + text + "b.gw.corpus.test")));
            yield return Rejected($"httproute-{name}-path", "HTTPRoute corpus/evil", HttpRoute(match: $"{{path: {{type: PathPrefix, value: {Quote("/a" + text + "b")}}}}}"));
            yield return Rejected($"httproute-{name}-header-value", "HTTPRoute corpus/evil", HttpRoute(match: $"{{headers: [{{name: X-A, value: {Quote("a" + text + "b")}}}]}}"));
            yield return Rejected($"httproute-{name}-set-header", "HTTPRoute corpus/evil",
                HttpRoute(filter: $"{{type: RequestHeaderModifier, requestHeaderModifier: {{set: [{{name: X-A, value: {Quote("a" + text + "X-Injected: 1")}}}]}}}}"));
            yield return Rejected($"httproute-{name}-redirect-host", "HTTPRoute corpus/evil",
                HttpRoute(filter: $"{{type: RequestRedirect, requestRedirect: {{hostname: {Quote("a" + text + "b.example")}}}}}", backends: false));
            yield return Rejected($"httproute-{name}-rewrite-path", "HTTPRoute corpus/evil",
                HttpRoute(filter: $"{{type: URLRewrite, urlRewrite: {{path: {{type: ReplaceFullPath, replaceFullPath: {Quote("/a" + text + "b")}}}}}}}"));
        }

        yield return Rejected("httproute-header-name-colon", "HTTPRoute corpus/evil", HttpRoute(filter: "{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: \"X-A: b\", value: c}]}}"));
        yield return Rejected("httproute-backend-port-70000", "HTTPRoute corpus/evil", HttpRoute(backendPort: "70000"));
        yield return Rejected("httproute-backend-port-0", "HTTPRoute corpus/evil", HttpRoute(backendPort: "0"));
        yield return Rejected("httproute-weight-negative", "HTTPRoute corpus/evil", HttpRoute(weight: "-1"));
        yield return Rejected("httproute-weight-overflow", "HTTPRoute corpus/evil", HttpRoute(weight: "2147483648"));
        yield return Rejected("httproute-hostname-empty-label", "HTTPRoute corpus/evil", HttpRoute(hostname: "a..b.gw.corpus.test"));
        yield return Rejected("httproute-hostname-ip", "HTTPRoute corpus/evil", HttpRoute(hostname: "10.0.0.1"));
        yield return Case("httproute-hijack-good-host", $"accepted {GoodGatewayHost}: the older route keeps the identical match (Gateway API precedence)", HttpRoute(hostname: GoodGatewayHost, creation: "2030-01-01T00:00:00Z", match: "{path: {type: PathPrefix, value: /}}"));
    }

    /// <summary>Cases too big to check in, built the same way each time.</summary>
    public static IEnumerable<CorpusCase> Large()
    {
        yield return FileLevel("large-oversized-input", IngressYaml("big") + "# " + new string('x', (24 * 1024 * 1024) + 1) + "\n");
        yield return FileLevel("large-too-many-nodes", IngressYaml("big", extraSpec: "  extra: [" + string.Join(",", Enumerable.Repeat("1", 2_100_000)) + "]\n"));
        foreach (var annotation in new[] { "rewrite-target", "whitelist-source-range", "match-headers", "proxy-body-size", "affinity-cookie-name", "unknown-annotation" })
        {
            var value = annotation switch
            {
                "whitelist-source-range" => string.Join(",", Enumerable.Repeat("10.0.0.0/8", 30_000)),
                "match-headers" => string.Join(",", Enumerable.Range(0, 40_000).Select(i => $"X-{i}=v")),
                "proxy-body-size" => new string('9', 300_000),
                _ => "/" + new string('a', 300_000),
            };
            yield return Rejected($"large-annotation-{annotation}", "Ingress corpus/huge", IngressYaml("huge", annotations: [$"{Prefix(annotation)}{annotation}: {Quote(value)}"]));
        }
    }

    /// <summary>Writes <see cref="Generated"/> into the source tree (UPDATE_CORPUS=1), replacing what was there.</summary>
    public static void Write(string folder)
    {
        foreach (var file in Directory.EnumerateFiles(folder))
        {
            File.Delete(file);
        }

        foreach (var corpusCase in Generated())
        {
            File.WriteAllBytes(Path.Combine(folder, corpusCase.Name), corpusCase.Content);
        }
    }

    public static string SourceFolder(string part, [CallerFilePath] string thisFile = "") =>
        Path.Combine(Path.GetDirectoryName(thisFile)!, "corpus", part);

    private static readonly (string Annotation, string Before, string After)[] AnnotationsWithText =
    [
        ("rewrite-target", "/a", "b"), ("permanent-redirect", "https://a.example/", "b"), ("app-root", "/a", "b"), ("health-check-path", "/a", "b"),
        ("affinity-cookie-name", "a", "b"), ("match-headers", "X-A=a", "b"), ("cache-vary-headers", "X-A", "b"), ("whitelist-source-range", "10.0.0.0/8", ",0.0.0.0/0"),
        ("upstream-hash-by", "$request_uri", "b"),
    ];

    private static string Prefix(string annotation) => annotation switch
    {
        "match-headers" or "health-check-path" or "affinity-cookie-name" or "cache-vary-headers" => "orleans-proxy.io/",
        "unknown-annotation" => "example.com/",
        _ => "nginx.ingress.kubernetes.io/",
    };

    private static byte[] Header(string expect) => Encoding.UTF8.GetBytes($"# expect: {expect}\n");

    private static CorpusCase Case(string name, string expect, string yaml) =>
        new(name + ".yaml", [.. Header(expect), .. Encoding.UTF8.GetBytes(yaml)], expect);

    private static CorpusCase Rejected(string name, string @object, string yaml) => Case(name, $"rejected: {@object}", yaml);

    /// <summary>Refused as a whole input: the rejection names the file.</summary>
    private static CorpusCase FileLevel(string name, string yaml) => Case(name, $"rejected: {name}.yaml", yaml);

    private static string IngressYaml(
        string name, string host = "h.corpus.test", string path = "\"/\"", string service = "good", string port = "number: 80",
        string[]? annotations = null, string extraSpec = "", string ns = Ns, string creation = "2025-01-01T00:00:00Z", string tls = "")
    {
        var yaml = new StringBuilder().Append(CultureInfo.InvariantCulture, $"""
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata:
              name: {name}
              namespace: {ns}
              creationTimestamp: "{creation}"

            """);
        if (annotations is { Length: > 0 })
        {
            yaml.Append("  annotations:\n");
            foreach (var annotation in annotations)
            {
                yaml.Append(CultureInfo.InvariantCulture, $"    {annotation}\n");
            }
        }

        yaml.Append("spec:\n").Append(tls).Append(extraSpec);
        yaml.Append(CultureInfo.InvariantCulture, $"""
              rules:
              - host: {host}
                http:
                  paths:
                  - path: {path}
                    pathType: ImplementationSpecific
                    backend:
                      service:
                        name: {service}
                        port: {(port.StartsWith('{') ? port : "{" + port + "}")}

            """);
        return yaml.ToString();
    }

    private static string DefaultBackend(string name, string creation) => $$"""
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: {{name}}, namespace: corpus, creationTimestamp: "{{creation}}"}
        spec:
          defaultBackend: {service: {name: good, port: {number: 80} } }

        """;

    private static string AliasBomb(int width, int levels, string place, bool forward = false)
    {
        var lines = new List<string> { "    l0: &l0 [\"lol\"]\n" };
        for (var level = 1; level <= levels; level++)
        {
            lines.Add($"    l{level}: &l{level} [{string.Join(",", Enumerable.Repeat($"*l{level - 1}", width))}]\n");
        }

        var bomb = new StringBuilder(string.Concat(forward ? Enumerable.Reverse(lines) : lines));

        return place == "spec"
            ? IngressYaml("bomb", extraSpec: "  bomb:\n" + bomb)
            : IngressYaml("bomb").Replace("  creationTimestamp", "  labels:\n" + bomb + "  creationTimestamp", StringComparison.Ordinal);
    }

    private static string TlsSecret(string crt, string key) => $"""
        apiVersion: v1
        kind: Secret
        type: kubernetes.io/tls
        metadata: {"{"}name: tls, namespace: corpus{"}"}
        data:
          tls.crt: "{crt}"
          tls.key: "{key}"

        """;

    private static string HttpRoute(
        string hostname = "evil.gw.corpus.test", string match = "{path: {type: PathPrefix, value: /}}", string? filter = null, bool backends = true,
        string backendPort = "80", string weight = "1", string creation = "2025-01-01T00:00:00Z")
    {
        var rule = new StringBuilder($"  - matches: [{match}]\n");
        if (filter is not null)
        {
            rule.Append(CultureInfo.InvariantCulture, $"    filters: [{filter}]\n");
        }

        if (backends)
        {
            rule.Append(CultureInfo.InvariantCulture, $"    backendRefs: [{{name: good, port: {backendPort}, weight: {weight}}}]\n");
        }

        return $"""
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {"{"}name: evil, namespace: corpus, creationTimestamp: "{creation}"{"}"}
            spec:
              parentRefs: [{"{"}name: gw{"}"}]
              hostnames: [{hostname}]
              rules:
            {rule}
            """;
    }

    private static string Base64(string text) => Convert.ToBase64String(Encoding.Latin1.GetBytes(text));

    /// <summary>A YAML double-quoted scalar; control and non-ASCII characters as escapes, so each file is plain ASCII.</summary>
    private static string Quote(string value)
    {
        var quoted = new StringBuilder("\"");
        foreach (var c in value)
        {
            quoted.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                < ' ' or >= '\u007f' => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }

        return quoted.Append('"').ToString();
    }
}
