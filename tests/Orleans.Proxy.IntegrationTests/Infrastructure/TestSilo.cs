using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Proxy.Hosting.Diagnostics;
using Orleans.Proxy.Hosting;
using Orleans.Proxy.Silo.Hosting;

namespace Orleans.Proxy.IntegrationTests.Infrastructure;

/// <summary>A real silo host, as silo/Program.cs builds it: localhost clustering on free ports, routes from a folder, diagnostics on a loopback port.</summary>
internal sealed class TestSilo : IAsyncDisposable
{
    private TestSilo(WebApplication app, int gatewayPort)
    {
        App = app;
        GatewayPort = gatewayPort;
        var endpoint = app.Services.GetRequiredService<DiagnosticsBinding>().Endpoint;
        Anonymous = new HttpClient { BaseAddress = new Uri($"http://{endpoint}") };
        Diagnostics = new HttpClient { BaseAddress = Anonymous.BaseAddress };
        Diagnostics.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestEdge.DiagnosticsToken);
    }

    public WebApplication App { get; }

    public int GatewayPort { get; }

    /// <summary>The diagnostics port with the token.</summary>
    public HttpClient Diagnostics { get; }

    /// <summary>The diagnostics port without a token.</summary>
    public HttpClient Anonymous { get; }

    public IGrainFactory Grains => App.Services.GetRequiredService<IGrainFactory>();

    public int SiloPort { get; private init; }

    /// <summary>A silo of its own cluster, or one joining the silo at <paramref name="primarySiloPort"/>; <paramref name="settings"/> add to or override the defaults.</summary>
    public static async Task<TestSilo> StartAsync(string routesDirectory, IDictionary<string, string?>? settings = null, int? primarySiloPort = null)
    {
        var siloPort = FreePorts.Next();
        var gatewayPort = FreePorts.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Cluster:SiloPort"] = $"{siloPort}",
            ["Cluster:PrimarySiloPort"] = $"{primarySiloPort ?? siloPort}",
            ["Cluster:GatewayPort"] = $"{gatewayPort}",
            ["Routes:Directory"] = routesDirectory,
            ["Routes:FileDebounce"] = "00:00:00.020",
            ["Diagnostics:Address"] = "127.0.0.1",
            ["Diagnostics:Port"] = "0",
            ["Diagnostics:Token"] = TestEdge.DiagnosticsToken,
        });
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        builder.AddOrleansProxySilo();
        builder.AddProxyDiagnostics("orleans-proxy-silo");
        builder.Services.AddHealthChecks();
        var app = builder.Build();
        app.MapProxyDiagnostics(endpoints => endpoints.MapHealthChecks("/health/live"));
        await app.StartAsync();
        return new TestSilo(app, gatewayPort) { SiloPort = siloPort };
    }

    public async Task<JsonElement> DiagAsync(string path) => await Diagnostics.GetFromJsonAsync<JsonElement>(path);

    public async ValueTask DisposeAsync()
    {
        Diagnostics.Dispose();
        Anonymous.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
