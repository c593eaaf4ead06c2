using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Orleans.Proxy.Edge.AccessLog;
using Orleans.Proxy.Edge.Hosting;
using Orleans.Proxy.Embedded.Hosting;

namespace Orleans.Proxy.IntegrationTests.Infrastructure;

/// <summary>A real edge (Kestrel + YARP) on loopback ports, embedded or as a client of a given cluster.</summary>
internal sealed class TestEdge : IAsyncDisposable
{
    public const string DiagnosticsToken = "test-diagnostics-token";

    private TestEdge(WebApplication app)
    {
        App = app;
        var listeners = app.Services.GetRequiredService<EdgeListeners>();
        // Redirects are answers to assert, never followed: a Location may name a host outside loopback.
        Public = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri($"http://{listeners.PublicEndpoint}") };
        Diagnostics = new HttpClient { BaseAddress = new Uri($"http://{listeners.DiagnosticsEndpoint}") };
        Diagnostics.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", DiagnosticsToken);
    }

    public WebApplication App { get; }

    /// <summary>This edge's name in the cluster's diagnostics.</summary>
    public string Id => App.Services.GetRequiredService<EdgeIdentity>().Id;

    public HttpClient Public { get; }

    /// <summary>The public listener, for requests sent over a plain socket (<see cref="RawHttp"/>).</summary>
    public System.Net.IPEndPoint PublicEndpoint => App.Services.GetRequiredService<EdgeListeners>().PublicEndpoint;

    public HttpClient Diagnostics { get; }

    /// <summary>Cluster ports of an embedded edge, so a client edge can join it.</summary>
    public int GatewayPort { get; private init; }

    public int SiloPort { get; private init; }

    /// <summary>An edge with a silo in-process, reading routes from <paramref name="routesDirectory"/>.</summary>
    public static async Task<TestEdge> StartEmbeddedAsync(string routesDirectory, IDictionary<string, string?>? settings = null, Action<IServiceCollection>? configureServices = null, int? siloPort = null, int? gatewayPort = null)
    {
        siloPort ??= FreePorts.Next();
        gatewayPort ??= FreePorts.Next();
        var edge = await StartAsync(new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>())
        {
            ["Routes:Directory"] = routesDirectory,
            ["Cluster:SiloPort"] = $"{siloPort}",
            ["Cluster:PrimarySiloPort"] = $"{siloPort}",
            ["Cluster:GatewayPort"] = $"{gatewayPort}",
        }, configureServices, embedded: true);
        return new TestEdge(edge.App) { GatewayPort = gatewayPort.Value, SiloPort = siloPort.Value };
    }

    /// <summary>An edge that is a pure Orleans client of the silo behind <paramref name="gatewayPort"/>.</summary>
    public static Task<TestEdge> StartClientAsync(int gatewayPort, string? edgeId = null) =>
        StartAsync(new Dictionary<string, string?>
        {
            ["Edge:Id"] = edgeId,
            ["Cluster:GatewayPort"] = $"{gatewayPort}",
        }, configureServices: null);

    /// <summary>An edge that is a pure Orleans client, clustering as <paramref name="settings"/> say (e.g. Cluster:Clustering).</summary>
    public static Task<TestEdge> StartClientAsync(IDictionary<string, string?> settings) =>
        StartAsync(new Dictionary<string, string?>(settings), configureServices: null);

    /// <summary>An edge using an existing cluster client (a TestingHost cluster's), with optional extra settings.</summary>
    public static Task<TestEdge> StartWithClientAsync(IClusterClient client, IDictionary<string, string?>? settings = null) =>
        StartAsync(new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>()), services =>
        {
            services.AddSingleton(client);
            services.AddSingleton<IGrainFactory>(client);
        });

    private static async Task<TestEdge> StartAsync(Dictionary<string, string?> settings, Action<IServiceCollection>? configureServices, bool embedded = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Edge:Address"] = "127.0.0.1",
            ["Edge:Port"] = "0",
            ["Edge:PollInterval"] = "00:00:01",
            // Stopping a test's edge does not wait for a load balancer (the drain has tests of its own).
            ["Edge:DrainPeriod"] = "00:00:00",
            ["Diagnostics:Address"] = "127.0.0.1",
            ["Diagnostics:Port"] = "0",
            ["Diagnostics:Token"] = DiagnosticsToken,
            ["Routes:FileDebounce"] = "00:00:00.020",
        });
        builder.Configuration.AddInMemoryCollection(settings);
        configureServices?.Invoke(builder.Services);
        // Access log lines go nowhere unless a test captures them.
        builder.Services.TryAddSingleton(new AccessLogOutput(Stream.Null, new object()));
        if (embedded)
        {
            builder.AddOrleansProxyEmbedded();
        }
        else
        {
            builder.AddOrleansProxyEdge();
        }

        var app = builder.Build();
        app.MapOrleansProxyEdge();
        await app.StartAsync();
        return new TestEdge(app);
    }

    public Task<HttpResponseMessage> GetAsync(string host, string pathAndQuery, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery);
        request.Headers.Host = host;
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return Public.SendAsync(request);
    }

    /// <summary>The body of a proxied GET; the test backends answer "name host path".</summary>
    public async Task<string> GetBodyAsync(string host, string pathAndQuery, params (string Name, string Value)[] headers)
    {
        using var response = await GetAsync(host, pathAndQuery, headers);
        return $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
    }

    /// <summary>A GET whose request target is sent byte for byte; "status body".</summary>
    public async Task<string> GetRawAsync(string host, string target)
    {
        var (status, body) = await RawHttp.GetAsync(PublicEndpoint, host, target);
        return $"{status} {body}";
    }

    /// <summary>GET on the diagnostics port; a failure names the status and the answer.</summary>
    public async Task<JsonElement> DiagAsync(string path)
    {
        using var response = await Diagnostics.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode
            ? JsonDocument.Parse(body).RootElement.Clone()
            : throw new HttpRequestException($"GET {path}: {(int)response.StatusCode} {body}", null, response.StatusCode);
    }

    /// <summary>Waits until a GET through this edge is answered by <paramref name="backendName"/>.</summary>
    public Task WaitForBackendAsync(string host, string path, string backendName) =>
        Eventually.Until(async () => (await GetBodyAsync(host, path)).StartsWith($"200 {backendName} ", StringComparison.Ordinal),
            $"{host}{path} is served by {backendName}");

    public async ValueTask DisposeAsync()
    {
        Public.Dispose();
        Diagnostics.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
