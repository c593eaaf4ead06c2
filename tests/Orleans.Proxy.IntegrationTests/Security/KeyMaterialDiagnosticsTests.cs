using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Proxy.IntegrationTests.Infrastructure;
using Orleans.Proxy.IntegrationTests.Tls;
using Orleans.Proxy.Testing;

namespace Orleans.Proxy.IntegrationTests.Security;

/// <summary>Private keys reach only the edges' TLS listeners: never a diagnostics answer, never a log line.</summary>
public sealed class KeyMaterialDiagnosticsTests
{
    private const string Host = "secure.test";

    /// <summary>A value for every route parameter of the diagnostics endpoints; a new parameter fails the test until it has one.</summary>
    private static readonly Dictionary<string, string> RouteValues = new(StringComparer.OrdinalIgnoreCase)
    {
        ["host"] = Host,
        ["id"] = "test/web:80",
        ["ns"] = "test",
        ["name"] = "secure",
        ["kind"] = "rps",
        ["partition"] = "127.0.0.1",
    };

    /// <summary>Every query parameter any endpoint reads, on every request.</summary>
    private const string Query = $"?host={Host}&path=/&policy=test/secure/rps&partition=127.0.0.1&cluster=test/web:80&key=k";

    [Fact]
    public async Task Diagnostics_EveryEndpointAndLogAfterTlsRouteLoaded_ShowNoKeyMaterial()
    {
        await using var web = await TestBackend.StartAsync("web");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = SelfSigned(key);
        var logs = new CapturingLoggerProvider();
        using var routes = new TempDirectory();
        routes.Write("services.yaml", Manifests.ServiceFor("web", web));
        routes.Write("secret.yaml", TlsSecret("secure-tls", certificate, key));
        routes.Write("ingress.yaml", TlsTerminationTests.WithTls(Manifests.Ingress("secure", Host, ("/", "Prefix", "web")), Host, "secure-tls"));
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path, new Dictionary<string, string?>
        {
            ["Edge:HttpsPort"] = $"{FreePorts.Next()}",
            ["Logging:LogLevel:Default"] = "Debug",
            ["Logging:LogLevel:Orleans.Proxy"] = "Trace",
            ["Logging:LogLevel:Orleans"] = "Debug",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Debug",
            ["Logging:LogLevel:Yarp"] = "Debug",
        }, services => services.AddSingleton<ILoggerProvider>(logs));
        await Eventually.Until(async () => (await edge.DiagAsync("/diag/certificates")).GetRawText().Contains(certificate.Thumbprint, StringComparison.Ordinal),
            "the edge loaded the certificate");

        var secrets = Secrets(key);
        var scanned = new List<string>();
        foreach (var path in DiagnosticsPaths(edge))
        {
            using var response = await edge.Diagnostics.GetAsync(path + Query);
            var body = await response.Content.ReadAsStringAsync();
            AssertNoSecret(secrets, $"GET {path} ({(int)response.StatusCode})", body);
            scanned.Add(path);
        }

        foreach (var view in (await edge.DiagAsync("/diag/cluster/views")).EnumerateArray())
        {
            using var response = await edge.Diagnostics.GetAsync($"/diag/cluster/views/{view.GetString()}{Query}");
            AssertNoSecret(secrets, $"view {view.GetString()}", await response.Content.ReadAsStringAsync());
        }

        Assert.Contains("/diag/certificates", scanned);
        Assert.Contains($"/diag/hosts/{Host}", scanned);
        Assert.Contains($"/diag/cluster/hosts/{Host}", scanned);
        Assert.Contains("/metrics", scanned);
        Assert.NotEmpty(logs.Lines);
        foreach (var line in logs.Lines)
        {
            AssertNoSecret(secrets, "log", line);
        }
    }

    /// <summary>Every GET endpoint of the diagnostics listener, with its route parameters filled in.</summary>
    private static List<string> DiagnosticsPaths(TestEdge edge)
    {
        var paths = new List<string>();
        foreach (var endpoint in edge.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var pattern = endpoint.RoutePattern;
            var text = "/" + (pattern.RawText ?? "").TrimStart('/');
            var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods;
            if (!(text.StartsWith("/diag", StringComparison.Ordinal) || text == "/metrics") || (methods is not null && !methods.Contains("GET")))
            {
                continue;
            }

            var segments = pattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
            {
                RoutePatternLiteralPart literal => literal.Content,
                RoutePatternParameterPart parameter => RouteValues.TryGetValue(parameter.Name, out var value)
                    ? value
                    : throw new InvalidOperationException($"{text}: give {{{parameter.Name}}} a value in {nameof(RouteValues)}"),
                RoutePatternSeparatorPart separator => separator.Content,
                _ => throw new InvalidOperationException($"{text}: unexpected route part {part}"),
            })));
            paths.Add("/" + string.Join('/', segments));
        }

        return paths.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>Forms the key could take in text: PEM armour, its base64 lines, the DER and the private scalar.</summary>
    private static List<string> Secrets(ECDsa key)
    {
        var der = key.ExportPkcs8PrivateKey();
        var scalar = key.ExportParameters(includePrivateParameters: true).D!;
        var pemLines = key.ExportPkcs8PrivateKeyPem().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(l => !l.StartsWith("-----", StringComparison.Ordinal));
        return
        [
            "PRIVATE KEY",
            Convert.ToBase64String(der),
            .. pemLines.Where(l => l.Length >= 16),
            Convert.ToBase64String(scalar),
            Convert.ToHexString(scalar),
            Convert.ToBase64String(Encoding.ASCII.GetBytes(key.ExportPkcs8PrivateKeyPem()))[..40],
        ];
    }

    private static void AssertNoSecret(List<string> secrets, string where, string text)
    {
        var variants = new List<string> { text };
        // JSON escapes '+' and '/' in strings; compare the decoded strings too.
        try
        {
            using var json = JsonDocument.Parse(text);
            variants.Add(string.Join('\n', Strings(json.RootElement)));
        }
        catch (JsonException)
        {
        }

        foreach (var variant in variants)
        {
            foreach (var secret in secrets)
            {
                Assert.False(variant.Contains(secret, StringComparison.OrdinalIgnoreCase), $"{where} shows key material ({secret[..Math.Min(12, secret.Length)]}...)");
            }
        }
    }

    private static IEnumerable<string> Strings(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => [element.GetString()!],
        JsonValueKind.Object => element.EnumerateObject().SelectMany(p => Strings(p.Value).Prepend(p.Name)),
        JsonValueKind.Array => element.EnumerateArray().SelectMany(Strings),
        _ => [],
    };

    private static X509Certificate2 SelfSigned(ECDsa key)
    {
        var request = new CertificateRequest($"CN={Host}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(Host);
        request.CertificateExtensions.Add(san.Build());
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }

    private static string TlsSecret(string name, X509Certificate2 certificate, ECDsa key) => $"""
        apiVersion: v1
        kind: Secret
        metadata:
          name: {name}
          namespace: {Manifests.Namespace}
        type: kubernetes.io/tls
        data:
          tls.crt: {Convert.ToBase64String(Encoding.ASCII.GetBytes(certificate.ExportCertificatePem()))}
          tls.key: {Convert.ToBase64String(Encoding.ASCII.GetBytes(key.ExportPkcs8PrivateKeyPem()))}

        """;

    /// <summary>Every log line of every category, with its exception.</summary>
    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, Lines);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var properties = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(' ', pairs.Select(p => $"{p.Key}={p.Value}")) : "";
                lines.Enqueue($"{category} {logLevel} {formatter(state, exception)} {properties} {exception}");
            }
        }
    }
}
