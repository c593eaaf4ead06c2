using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Orleans.Proxy.Translation.Files;
using Orleans.Proxy.Translation.Ingress;
using Orleans.Proxy.Translation.Ingress.Incremental;
using Orleans.Proxy.Translation.Ingress.LastGood;

namespace Orleans.Proxy.UnitTests.Translation.Ingress;

public sealed class IncrementalConverterTests
{
    private static readonly ConversionSettings Settings = new() { ConfigMap = "a/ctrl" };
    private static readonly Lazy<string> TlsData = new(CertificateData);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(10)]
    public void Convert_RandomEdits_SameAsFullConversionAfterEveryStep(int seed)
    {
        var world = new World(new Random(seed));
        var incremental = new IncrementalConverter();
        var lastGood = new LastGoodVersions();
        // Fed objects read anew every step, the reference finds every object changed: it takes no shortcut by reference.
        var lastGoodFull = new LastGoodVersions(IngressConverter.Convert);
        for (var step = 0; step < 200; step++)
        {
            var edit = world.Edit();
            var objects = world.Objects();
            var context = $"seed {seed}, step {step}: {edit}";
            AssertSame(IngressConverter.Convert(objects, Settings), incremental.Convert(objects, Settings), context);
            AssertSame(lastGoodFull.Convert(world.ReadAnew(), world.Unreadable(), Settings), lastGood.Convert(objects, world.Unreadable(), Settings), context);
        }

        Assert.Equal(0, incremental.LinksMissed);
    }

    [Fact]
    public void Convert_OneIngressChanged_ConvertsOnlyItsGroupAndKeepsTheOtherHostsAsTheyWere()
    {
        var converter = new IncrementalConverter();
        var files = Enumerable.Range(0, 3).Select(i => Read(Service($"s{i}") + Slice($"s{i}", "10.0.0.1") + Ingress($"i{i}", $"h{i}.test", $"s{i}"))).ToList();
        var before = converter.Convert(ClusterObjects.Combine(files));
        Assert.Equal(3, converter.GroupsConverted);

        files[1] = Read(Service("s1") + Slice("s1", "10.0.0.1") + Ingress("i1", "h1.test", "s1", path: "/other"));
        var after = converter.Convert(ClusterObjects.Combine(files));

        Assert.Equal(4, converter.GroupsConverted);
        Assert.True(before.Hosts["h0.test"] == after.Hosts["h0.test"], "an unchanged host keeps its route array");
        Assert.True(before.Backends["a/s2:80"] == after.Backends["a/s2:80"], "an unchanged backend keeps its record");
        Assert.Equal("/other", Assert.Single(after.Hosts["h1.test"]).Path);
    }

    [Fact]
    public void Convert_EndpointSliceChanged_ConvertsOnlyTheGroupThatReadsIt()
    {
        var converter = new IncrementalConverter();
        var ingresses = Read(Ingress("i0", "h0.test", "s0") + Ingress("i1", "h1.test", "s1"));
        var services = Read(Service("s0") + Service("s1"));
        var slice0 = Read(Slice("s0", "10.0.0.1"));
        converter.Convert(ClusterObjects.Combine([ingresses, services, slice0, Read(Slice("s1", "10.0.0.1"))]));
        Assert.Equal(2, converter.GroupsConverted);

        var changed = ClusterObjects.Combine([ingresses, services, slice0, Read(Slice("s1", "10.0.0.2"))]);
        var after = converter.Convert(changed);
        Assert.Equal(3, converter.GroupsConverted);
        Assert.Equal("10.0.0.2:8080", Assert.Single(after.Backends["a/s1:80"].Destinations).Id);

        converter.Convert(changed);
        Assert.Equal(3, converter.GroupsConverted);
    }

    [Fact]
    public void Convert_IngressesSharingAHost_AreOneGroup()
    {
        var converter = new IncrementalConverter();
        var shared = Read(Service("s0") + Service("s1") + Ingress("i0", "h.test", "s0") + Ingress("i1", "h.test", "s1", path: "/b"));

        var state = converter.Convert(shared);

        Assert.Equal(1, converter.GroupsConverted);
        Assert.Equal(2, state.Hosts["h.test"].Length);
    }

    private static void AssertSame(DesiredState full, DesiredState incremental, string context)
    {
        Assert.True(JsonSerializer.Serialize(full) == JsonSerializer.Serialize(incremental), $"{context}\nfull:        {JsonSerializer.Serialize(full)}\nincremental: {JsonSerializer.Serialize(incremental)}");
        Assert.True(full.Refused.SequenceEqual(incremental.Refused), $"{context}: refused {string.Join(", ", full.Refused)} <> {string.Join(", ", incremental.Refused)}");
    }

    private static ClusterObjects Read(string yaml) => KubernetesYamlReader.Read("test.yaml", yaml).Objects;

    private static string Service(string name) =>
        $"---\napiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: a}}\nspec:\n  ports: [{{name: http, port: 80}}]\n";

    private static string Slice(string service, string address) =>
        $"---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {{name: {service}-1, namespace: a, labels: {{kubernetes.io/service-name: {service}}}}}\n"
        + $"addressType: IPv4\nports: [{{name: http, port: 8080}}]\nendpoints: [{{addresses: [{address}]}}]\n";

    private static string Ingress(string name, string host, string service, string path = "/") =>
        $"---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {{name: {name}, namespace: a}}\nspec:\n  rules:\n  - host: {host}\n    http:\n      paths:\n"
        + $"      - {{path: {path}, pathType: Prefix, backend: {{service: {{name: {service}, port: {{number: 80}}}}}}}}\n";

    private static string CertificateData()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = new CertificateRequest("CN=x.test", key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UnixEpoch.AddYears(50), DateTimeOffset.UnixEpoch.AddYears(90));
        return $"{{tls.crt: {Base64(certificate.ExportCertificatePem())}, tls.key: {Base64(key.ExportPkcs8PrivateKeyPem())}}}";
    }

    private static string Base64(string text) => System.Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    /// <summary>
    /// Objects in slots, each read from its own YAML once and kept while unchanged (as the file source keeps a file's
    /// reading), edited at random: Ingresses that share hosts, Services and names, canaries, aliases, default backends,
    /// whole refusals, and the Services, EndpointSlices, Secrets and ConfigMaps they read.
    /// </summary>
    private sealed class World(Random random)
    {
        private static readonly string[] Hosts = ["x.test", "x.test", "x.test", "y.test", "www.x.test", "alias.test", "", "*.w.test"];
        private static readonly string[] Services = ["s0", "s1", "s2", "s3"];
        private readonly SortedDictionary<string, (string Yaml, KubernetesYamlReader.Result Read)> _slots = new(StringComparer.Ordinal);
        private readonly Dictionary<string, (string Yaml, KubernetesYamlReader.Result Read)> _removed = new(StringComparer.Ordinal);
        private readonly List<string> _order = [];

        public string Edit()
        {
            var slot = random.Next(20) switch
            {
                < 12 => $"ingress-{random.Next(8)}",
                12 or 13 => $"service-{random.Next(4)}",
                14 or 15 => $"slice-{random.Next(4)}",
                16 => "secret-auth",
                17 => "secret-tls",
                18 => "configmap-ctrl",
                _ => random.Next(4) == 0 ? "swap" : "configmap-hdr",
            };
            if (slot == "swap")
            {
                // Input order decides which of two same-named, same-aged Ingresses serves.
                if (_order.Count > 1)
                {
                    var (i, j) = (random.Next(_order.Count), random.Next(_order.Count));
                    (_order[i], _order[j]) = (_order[j], _order[i]);
                }

                return "swap";
            }

            if (random.Next(6) == 0 && _slots.Remove(slot, out var gone))
            {
                _removed[slot] = gone;
                _order.Remove(slot);
                return $"remove {slot}";
            }

            if (random.Next(6) == 0 && _removed.Remove(slot, out var back))
            {
                // The very objects it had before its removal, as a file source hands over a file put back unchanged.
                _slots[slot] = back;
                _order.Add(slot);
                return $"restore {slot}";
            }

            var yaml = slot.Split('-') switch
            {
                ["ingress", _] => Ingress(),
                ["service", var n] => Service(n),
                ["slice", var n] => Slice(n),
                [_, "auth"] => random.Next(3) == 0 ? AuthSecret("user: not-a-hash") : AuthSecret("user: \"{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\""),
                [_, "tls"] => random.Next(3) == 0 ? "apiVersion: v1\nkind: Secret\nmetadata: {name: tls, namespace: a}\ntype: kubernetes.io/tls\ndata: {tls.crt: eA==, tls.key: eA==}\n"
                    : $"apiVersion: v1\nkind: Secret\nmetadata: {{name: tls, namespace: a}}\ntype: kubernetes.io/tls\ndata: {TlsData.Value}\n",
                [_, "ctrl"] => $"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: ctrl, namespace: a}}\ndata: {Pick("{hsts: \"true\"}", "{proxy-body-size: 1m}", "{ssl-redirect: \"false\"}", "{}")}\n",
                _ => $"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: hdr, namespace: a}}\ndata: {Pick("{X-One: \"1\"}", "{X-Two: \"2\"}", "{Bad Header: x}")}\n",
            };
            _slots[slot] = (yaml, KubernetesYamlReader.Read(slot, yaml));
            _removed.Remove(slot);
            if (!_order.Contains(slot))
            {
                _order.Add(slot);
            }

            return $"{slot}:\n{yaml}";
        }

        public ClusterObjects Objects() => ClusterObjects.Combine(_order.Select(s => _slots[s].Read.Objects));

        /// <summary>The same objects as <see cref="Objects"/>, each read again: none is the object of an earlier step.</summary>
        public ClusterObjects ReadAnew() => ClusterObjects.Combine(_order.Select(s => KubernetesYamlReader.Read(s, _slots[s].Yaml).Objects));

        /// <summary>The objects the reader refused whole (an unknown apiVersion), as the file source passes them on.</summary>
        public string[] Unreadable() => [.. _order.SelectMany(s => _slots[s].Read.Refused)];

        private string Ingress()
        {
            var annotations = new List<string>();
            void Maybe(int percent, string annotation)
            {
                if (random.Next(100) < percent)
                {
                    annotations.Add(annotation);
                }
            }

            Maybe(25, "nginx.ingress.kubernetes.io/canary: \"true\", nginx.ingress.kubernetes.io/canary-weight: \"30\"");
            Maybe(15, $"nginx.ingress.kubernetes.io/server-alias: {Pick("y.test", "alias.test", "x.test")}");
            Maybe(15, "nginx.ingress.kubernetes.io/from-to-www-redirect: \"true\"");
            Maybe(10, $"nginx.ingress.kubernetes.io/default-backend: {Pick(Services)}");
            Maybe(10, $"nginx.ingress.kubernetes.io/mirror-target: {Pick("http://s2.a/", "http://10.0.0.9/")}");
            Maybe(15, "nginx.ingress.kubernetes.io/auth-type: basic, nginx.ingress.kubernetes.io/auth-secret: auth, nginx.ingress.kubernetes.io/auth-secret-type: auth-map");
            Maybe(15, $"nginx.ingress.kubernetes.io/backend-protocol: {Pick("HTTP", "HTTPS", "GRPC")}");
            Maybe(10, "nginx.ingress.kubernetes.io/custom-headers: hdr");
            Maybe(5, "orleans-proxy.io/match-headers: \"?\"");
            var spec = new StringBuilder();
            if (random.Next(100) < 15)
            {
                spec.Append(CultureInfo.InvariantCulture, $"  defaultBackend: {{service: {{name: {Pick(Services)}, port: {{number: 80}}}}}}\n");
            }

            var rules = random.Next(4) switch { 0 => 0, 3 => 2, _ => 1 };
            if (rules > 0)
            {
                spec.Append("  rules:\n");
            }

            for (var r = 0; r < rules; r++)
            {
                var host = Pick(Hosts);
                spec.Append(host.Length == 0 ? "  - http:\n" : $"  - host: \"{host}\"\n    http:\n").Append("      paths:\n");
                for (var p = random.Next(1, 3); p > 0; p--)
                {
                    spec.Append(CultureInfo.InvariantCulture, $"      - {{path: {Pick("/", "/", "/a", "/b")}, pathType: {Pick("Prefix", "Prefix", "Exact")}, backend: {{service: {{name: {Pick(Services)}, port: {Pick("{number: 80}", "{number: 80}", "{name: http}", "{number: 81}")}}}}}}}\n");
                }
            }

            if (random.Next(100) < 20)
            {
                spec.Append(CultureInfo.InvariantCulture, $"  tls: [{{hosts: [\"{Pick("x.test", "y.test", "alias.test")}\"], secretName: tls}}]\n");
            }

            return $"apiVersion: {Pick("networking.k8s.io/v1", "networking.k8s.io/v1", "networking.k8s.io/v1", "networking.k8s.io/v1", "networking.k8s.io/v1", "networking.k8s.io/v2")}\nkind: Ingress\nmetadata:\n  name: {Pick("i0", "i1", "i2", "i3", "i4", "i5")}\n  namespace: a\n"
                + $"  creationTimestamp: \"{Pick("2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z")}\"\n  annotations: {{{string.Join(", ", annotations)}}}\nspec:\n{spec}";
        }

        private string Service(string n) => random.Next(5) == 0
            ? $"apiVersion: v1\nkind: Service\nmetadata: {{name: s{n}, namespace: a}}\nspec: {{type: ExternalName, externalName: example.com}}\n"
            : $"apiVersion: v1\nkind: Service\nmetadata: {{name: s{n}, namespace: a}}\nspec:\n  ports: [{{name: http, port: 80}}{Pick("", ", {name: other, port: 81}")}]\n";

        private string Slice(string n) =>
            $"apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {{name: s{n}-1, namespace: a, labels: {{kubernetes.io/service-name: s{n}}}}}\n"
            + $"addressType: IPv4\nports: [{{name: http, port: 8080}}, {{name: other, port: 8081}}]\nendpoints: [{{addresses: [{Pick("10.0.0.1", "10.0.0.2")}]}}, {{addresses: [10.0.0.3], conditions: {{ready: {Pick("true", "false")}}}}}]\n";

        private static string AuthSecret(string data) => $"apiVersion: v1\nkind: Secret\nmetadata: {{name: auth, namespace: a}}\nstringData: {{{data}}}\n";

        private string Pick(params string[] choices) => choices[random.Next(choices.Length)];
    }
}
