using System.Security.Cryptography.X509Certificates;
using Orleans.Proxy.IntegrationTests.Infrastructure;
using Orleans.Proxy.IntegrationTests.Tls;
using Orleans.Proxy.Testing;

namespace Orleans.Proxy.IntegrationTests.GatewayApi;

/// <summary>
/// One embedded edge in file mode serving the Gateway API fixtures of <see cref="HttpRouteConformanceTests"/>:
/// our GatewayClass, Gateways with HTTP and HTTPS listeners in namespace "test", the backends
/// v1, v2 and v3 there and "web" in namespace "web". Each test adds its routes under hosts of its own.
/// </summary>
public sealed class GatewayApiFixture : IAsyncLifetime
{
    public const string CertificateHost = "secure.gateway.test";
    private readonly List<TestBackend> _backends = [];
    private X509Certificate2? _certificate;

    internal TestEdge Edge { get; private set; } = null!;

    internal TempDirectory Routes { get; } = new();

    internal TestBackend V1 => _backends[0];

    internal TestBackend V2 => _backends[1];

    internal TestBackend V3 => _backends[2];

    internal TestBackend Web => _backends[3];

    public int HttpsPort { get; } = FreePorts.Next();

    public string CertificateThumbprint => _certificate!.Thumbprint;

    public async Task InitializeAsync()
    {
        foreach (var name in new[] { "v1", "v2", "v3", "web" })
        {
            _backends.Add(await TestBackend.StartAsync(name));
        }

        _certificate = TlsTerminationTests.SelfSigned(CertificateHost);
        Routes.Write("backends.yaml", string.Join("---\n",
            Manifests.ServiceFor("v1", V1), Manifests.ServiceFor("v2", V2), Manifests.ServiceFor("v3", V3),
            Manifests.ServiceFor("web", Web).Replace($"namespace: {Manifests.Namespace}", "namespace: web", StringComparison.Ordinal),
            TlsTerminationTests.TlsSecret("gateway-tls", _certificate)));
        Routes.Write("gateways.yaml", """
            apiVersion: v1
            kind: Namespace
            metadata: {name: web, labels: {gateway-conformance: backend}}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: GatewayClass
            metadata: {name: orleans-proxy}
            spec: {controllerName: orleans-proxy.io/gateway-controller}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: same-namespace, namespace: test}
            spec:
              gatewayClassName: orleans-proxy
              listeners: [{name: http, port: 80, protocol: HTTP}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: backend-namespaces, namespace: test}
            spec:
              gatewayClassName: orleans-proxy
              listeners:
              - name: http
                port: 80
                protocol: HTTP
                hostname: "*.backend.test"
                allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {gateway-conformance: backend}}}}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: with-https, namespace: test}
            spec:
              gatewayClassName: orleans-proxy
              listeners:
              - {name: https, port: 443, protocol: HTTPS, hostname: secure.gateway.test, tls: {certificateRefs: [{name: gateway-tls}]}}
            """);
        Edge = await TestEdge.StartEmbeddedAsync(Routes.Path, new Dictionary<string, string?>
        {
            ["Edge:HttpsPort"] = $"{HttpsPort}",
            ["Caching:StatusHeader"] = "true",
        });
    }

    /// <summary>Writes a routes file and waits until <paramref name="host"/><paramref name="path"/> (with <paramref name="headers"/>) answers <paramref name="expected"/>.</summary>
    internal async Task AddAsync(string file, string yaml, string host, string path, string expected, params (string Name, string Value)[] headers)
    {
        Routes.Write(file, yaml);
        await Eventually.Until(async () => (await Edge.GetBodyAsync(host, path, headers)).StartsWith(expected, StringComparison.Ordinal), $"{host}{path} answers {expected}");
    }

    public async Task DisposeAsync()
    {
        await Edge.DisposeAsync();
        foreach (var backend in _backends)
        {
            await backend.DisposeAsync();
        }

        _certificate?.Dispose();
        Routes.Dispose();
    }
}
