using System.Reflection;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Connections.Security;
using Orleans.Proxy.Hosting;
using Orleans.Proxy.Hosting.Tls;
using Orleans.Proxy.IntegrationTests.Infrastructure;
using Orleans.Proxy.RateLimiting;
using Orleans.Proxy.Routing;
using Orleans.Proxy.Security;
using Orleans.Proxy.Testing;

namespace Orleans.Proxy.IntegrationTests.Security;

/// <summary>
/// Mutual TLS on the cluster's connections: certificates of a CA made in the test; silos and edges
/// that hold one cluster and serve; anyone else fails the handshake before any grain call.
/// </summary>
public sealed class ClusterTlsTests : IDisposable
{
    private readonly TempDirectory _files = new();
    private readonly TestCa _clusterCa = TestCa.Create("orleans-proxy cluster CA");
    private readonly TestCa _rogueCa = TestCa.Create("rogue CA");

    private string SiloFolder => Path.Combine(_files.Path, "silo");

    private string EdgeFolder => Path.Combine(_files.Path, "edge");

    private string RoutesFolder => Path.Combine(_files.Path, "routes");

    /// <summary>A backend, the routes serving app.test from it, and the silos' and the edges' certificates of the cluster CA.</summary>
    private async Task<TestBackend> ServeAppAsync()
    {
        var web = await TestBackend.StartAsync("web");
        IssueCertificates();
        File.WriteAllText(Path.Combine(RoutesFolder, "app.yaml"), Manifests.ServiceFor("web", web) + "---\n" + Manifests.Ingress("app", "app.test", ("/", "Prefix", "web")));
        return web;
    }

    private void IssueCertificates()
    {
        Directory.CreateDirectory(RoutesFolder);
        _clusterCa.IssueInto(SiloFolder, "silo", server: true);
        _clusterCa.IssueInto(EdgeFolder, "edge", server: false);
    }

    [Fact]
    public async Task SilosAndEdge_ClusterCertificates_ClusterAndServeRoute()
    {
        await using var web = await ServeAppAsync();

        await using var first = await TestSilo.StartAsync(RoutesFolder, Tls(SiloFolder));
        await using var second = await TestSilo.StartAsync(RoutesFolder, Tls(SiloFolder), primarySiloPort: first.SiloPort);
        await using var edge = await TestEdge.StartClientAsync(new Dictionary<string, string?>(Tls(EdgeFolder)) { ["Cluster:GatewayPort"] = $"{second.GatewayPort}" });

        await edge.WaitForBackendAsync("app.test", "/", "web");
        // Both silos are members: silo-to-silo connections passed the same mutual TLS.
        var hosts = await first.Grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
        Assert.Equal(2, hosts.Count);
    }

    [Fact]
    public async Task RogueClients_NoCertificateOrAnotherCa_RefusedBeforeAnyGrainCall()
    {
        IssueCertificates();
        var rogueFolder = Path.Combine(_files.Path, "rogue");
        // A certificate of another CA, its holder trusting the cluster's CA: only the silo's refusal is tested.
        _rogueCa.IssueInto(rogueFolder, "rogue", server: false, trusted: _clusterCa);
        await using var silo = await TestSilo.StartAsync(RoutesFolder, Tls(SiloFolder));
        var catalog = silo.Grains.GetGrain<IRouteCatalogGrain>(IRouteCatalogGrain.DefaultKey);
        await Eventually.Until(async () => (await catalog.GetSnapshot()).Generation > 0, "the route source published");
        var before = await catalog.GetSnapshot();

        using var rogueCertificate = LoadPem(rogueFolder);
        var plain = await RogueClientAsync(silo.GatewayPort, tls: null);
        var noCertificate = await RogueClientAsync(silo.GatewayPort, tls => tls.AllowAnyRemoteCertificate());
        var otherCa = await RogueClientAsync(silo.GatewayPort, tls =>
        {
            tls.LocalCertificate = rogueCertificate;
            tls.AllowAnyRemoteCertificate();
        });

        Assert.False(plain.Connected, "a client without TLS connected");
        Assert.False(noCertificate.Connected, "a TLS client without a certificate connected");
        Assert.False(otherCa.Connected, "a client with another CA's certificate connected");
        Assert.Null(plain.ReadSnapshot);
        Assert.Null(noCertificate.ReadSnapshot);
        Assert.Null(otherCa.ReadSnapshot);
        Assert.Equal(before.Generation, (await catalog.GetSnapshot()).Generation);
        // The gateway never counted a client.
        var statistics = await silo.Grains.GetGrain<IManagementGrain>(0).GetRuntimeStatistics([]);
        Assert.Equal(0, Assert.Single(statistics).ClientCount);
    }

    [Fact]
    public async Task RotatedCertificate_FilesReplaced_NewConnectionsUseIt()
    {
        await using var web = await ServeAppAsync();
        var original = _clusterCa.IssueInto(SiloFolder, "silo", server: true);
        await using var silo = await TestSilo.StartAsync(RoutesFolder, Tls(SiloFolder));
        Assert.Equal(original.Thumbprint, (await TlsProbe.ServerCertificateAsync(silo.GatewayPort, EdgeFolder)).Thumbprint);

        // The kubelet writes a rotated Secret into a new folder and swaps the link to it.
        var rotatedFolder = Path.Combine(_files.Path, "silo-rotated");
        var rotated = _clusterCa.IssueInto(rotatedFolder, "silo", server: true);
        foreach (var file in new[] { "tls.crt", "tls.key", "ca.crt" })
        {
            File.Copy(Path.Combine(rotatedFolder, file), Path.Combine(SiloFolder, file), overwrite: true);
        }

        Assert.Equal(rotated.Thumbprint, (await TlsProbe.ServerCertificateAsync(silo.GatewayPort, EdgeFolder)).Thumbprint);
        Assert.Equal(rotated.Thumbprint, (await TlsProbe.ServerCertificateAsync(silo.SiloPort, SiloFolder)).Thumbprint);
        // An edge connecting after the rotation is served.
        await using var edge = await TestEdge.StartClientAsync(new Dictionary<string, string?>(Tls(EdgeFolder)) { ["Cluster:GatewayPort"] = $"{silo.GatewayPort}" });
        await edge.WaitForBackendAsync("app.test", "/", "web");
    }

    [Fact]
    public async Task EdgeCertificate_SiloPortRefusesIt_GatewayTakesIt()
    {
        IssueCertificates();
        await using var silo = await TestSilo.StartAsync(RoutesFolder, Tls(SiloFolder));

        // An edge's certificate (client authentication only) cannot join as a silo, whose messages
        // other silos trust whatever they say; it reaches the gateway, as an edge does.
        Assert.True(await TlsProbe.RefusedAsync(silo.SiloPort, EdgeFolder), "the silo port took an edge's certificate");
        Assert.NotNull(await TlsProbe.ServerCertificateAsync(silo.GatewayPort, EdgeFolder));
        // A silo's certificate is taken on both.
        Assert.NotNull(await TlsProbe.ServerCertificateAsync(silo.SiloPort, SiloFolder));
    }

    [Fact]
    public async Task EdgeWithItsOwnCertificate_WritesRefused_ReadsAndServingWork()
    {
        await using var web = await ServeAppAsync();
        await using var silo = await TestSilo.StartAsync(RoutesFolder, Tls(SiloFolder));
        await using var edge = await TestEdge.StartClientAsync(new Dictionary<string, string?>(Tls(EdgeFolder)) { ["Cluster:GatewayPort"] = $"{silo.GatewayPort}" });
        await edge.WaitForBackendAsync("app.test", "/", "web");
        var grains = edge.App.Services.GetRequiredService<IClusterClient>();
        var host = grains.GetGrain<IHostRouteGrain>("app.test");
        var held = await host.GetRoutes();

        var refused = await Assert.ThrowsAsync<RouteSourceOnlyException>(() => host.SetRoutes(held with { Version = held.Version + 1, Routes = [] }));
        Assert.Contains("no valid route-source proof", refused.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<RouteSourceOnlyException>(() => grains.GetGrain<ITlsCertificateGrain>("test/tls").SetCertificate(new TlsCertificateSpec("test/tls", 1, "f", "cert", "key")));

        Assert.Equal(held.Version, (await host.GetRoutes()).Version);
        Assert.StartsWith("200 web ", await edge.GetBodyAsync("app.test", "/"));
    }

    [Fact]
    public async Task EdgeCertificate_ClientPosingAsTheSilosOwnClient_RefusedAtTheGatewayAndCannotWrite()
    {
        await using var web = await ServeAppAsync();
        await using var silo = await TestSilo.StartAsync(RoutesFolder, Tls(SiloFolder));
        var host = silo.Grains.GetGrain<IHostRouteGrain>("app.test");
        await Eventually.Until(async () => (await host.GetRoutes()).Routes.Length == 1, "the route source wrote app.test");
        var version = (await host.GetRoutes()).Version;
        var siloClientId = $"hosted-{silo.App.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress.ToParsableString()}";
        using var edgeCertificate = LoadPem(EdgeFolder);
        void EdgeTls(TlsOptions tls)
        {
            tls.LocalCertificate = edgeCertificate;
            tls.AllowAnyRemoteCertificate();
        }

        // Announcing the silo's own client id (answers to the silo's calls would come to it): refused.
        var announced = await RogueClientAsync(silo.GatewayPort, EdgeTls, services => SetAnnouncedId(services, siloClientId));
        Assert.False(announced.Connected, "a client announcing the silo's own client id connected");

        // Announcing its own id, then writing the silo's as the sender of each message: connected,
        // but a write without the silos' proof is refused.
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.UseOrleansClient(client =>
        {
            client.UseLocalhostClustering(silo.GatewayPort, "orleans-proxy", "orleans-proxy");
            client.UseTls(EdgeTls);
        });
        using var forger = builder.Build();
        await forger.StartAsync();
        SetSenderId(forger.Services, siloClientId);
        var grains = forger.Services.GetRequiredService<IClusterClient>();
        // The answers go to the silo, not to the forger: neither call is awaited.
        _ = grains.GetGrain<IHostRouteGrain>("app.test").SetRoutes(new HostRoutes("app.test", version + 1_000_000, []));
        // Control: a call anyone may make, sent after the write, shows the forged messages arrive and run.
        _ = grains.GetGrain<IRateLimitGrain>("test/forged|1.2.3.4").AcquireLease(
            new LeaseRequest("forger", RatePerSecond: 10, Capacity: 10, Requested: 1, RecentRate: 1, LeaseLength: TimeSpan.FromSeconds(1)));
        var bucket = silo.Grains.GetGrain<IRateLimitGrain>("test/forged|1.2.3.4");
        await Eventually.Until(async () => (await bucket.GetState()).Edges.Any(e => e.EdgeId == "forger"), "the forged control call ran on the silo");

        Assert.Equal(version, (await host.GetRoutes()).Version);
        Assert.Single((await host.GetRoutes()).Routes);
        await forger.StopAsync();
    }

    /// <summary>The id an Orleans client announces when it connects, set as a client built to lie would.</summary>
    private static void SetAnnouncedId(IServiceProvider services, string clientId)
    {
        var idType = typeof(GrainId).Assembly.GetType("Orleans.Runtime.ClientGrainId", throwOnError: true)!;
        var id = idType.GetMethod("Create", [typeof(string)])!.Invoke(null, [clientId]);
        var detailsType = typeof(IClusterClient).Assembly.GetType("Orleans.LocalClientDetails", throwOnError: true)!;
        detailsType.GetField("<ClientId>k__BackingField", BindingFlags.Instance | BindingFlags.NonPublic)!.SetValue(services.GetRequiredService(detailsType), id);
    }

    /// <summary>The sender id a connected Orleans client writes in its messages, set as a client built to lie would.</summary>
    private static void SetSenderId(IServiceProvider services, string clientId)
    {
        var runtimeType = typeof(IClusterClient).Assembly.GetType("Orleans.OutsideRuntimeClient", throwOnError: true)!;
        var runtime = services.GetRequiredService(runtimeType);
        var address = runtimeType.GetProperty("CurrentActivationAddress")!;
        var current = (GrainAddress)address.GetValue(runtime)!;
        address.SetValue(runtime, new GrainAddress { GrainId = GrainId.Create("sys.client", clientId), SiloAddress = current.SiloAddress, ActivationId = current.ActivationId });
    }

    [Fact]
    public void Options_MissingFilesOrKubernetesWithoutTls_RefusedNamingTheKey()
    {
        var missing = Assert.Throws<OptionsValidationException>(() =>
            Configuration(Tls(Path.Combine(_files.Path, "nowhere"))).LoadClusterCertificates(ClusteringMode.Localhost, server: true));
        Assert.Contains(missing.Failures, f => f.StartsWith("Cluster:Tls:CertificatePath: ", StringComparison.Ordinal));
        Assert.Contains(missing.Failures, f => f.StartsWith("Cluster:Tls:KeyPath: ", StringComparison.Ordinal));
        Assert.Contains(missing.Failures, f => f.StartsWith("Cluster:Tls:CaPath: ", StringComparison.Ordinal));

        var kubernetes = Assert.Throws<OptionsValidationException>(() => Configuration(new Dictionary<string, string?>()).LoadClusterCertificates(ClusteringMode.Kubernetes, server: true));
        Assert.Contains("Cluster:Tls:Disabled=true", Assert.Single(kubernetes.Failures), StringComparison.Ordinal);
        Assert.Null(Configuration(new Dictionary<string, string?> { ["Cluster:Tls:Disabled"] = "true" }).LoadClusterCertificates(ClusteringMode.Kubernetes, server: true));
        Assert.Null(Configuration(new Dictionary<string, string?>()).LoadClusterCertificates(ClusteringMode.Localhost, server: true));

        // A certificate of another CA than ca.crt names it too.
        _rogueCa.IssueInto(SiloFolder, "silo", server: true, trusted: _clusterCa);
        var foreign = Assert.Throws<OptionsValidationException>(() => Configuration(Tls(SiloFolder)).LoadClusterCertificates(ClusteringMode.Localhost, server: true));
        Assert.Contains("does not chain to the CA", Assert.Single(foreign.Failures), StringComparison.Ordinal);

        // An edge's client-only certificate cannot serve as a silo's.
        _clusterCa.IssueInto(EdgeFolder, "edge", server: false);
        var edgeAsSilo = Assert.Throws<OptionsValidationException>(() => Configuration(Tls(EdgeFolder)).LoadClusterCertificates(ClusteringMode.Localhost, server: true));
        Assert.Contains("server authentication", Assert.Single(edgeAsSilo.Failures), StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _clusterCa.Dispose();
        _rogueCa.Dispose();
        _files.Dispose();
    }

    private static X509Certificate2 LoadPem(string folder)
    {
        using var pem = X509Certificate2.CreateFromPemFile(Path.Combine(folder, "tls.crt"), Path.Combine(folder, "tls.key"));
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    private static Dictionary<string, string?> Tls(string folder) => new() { ["Cluster:Tls:Directory"] = folder };

    private static IConfiguration Configuration(IDictionary<string, string?> settings) => new ConfigurationBuilder().AddInMemoryCollection(settings).Build();

    /// <summary>
    /// A plain Orleans client built against grain-interfaces, as the attacker's was: it connects (and
    /// then reads), or its connection attempt fails; it would go on retrying, so it is stopped there.
    /// </summary>
    private static async Task<(bool Connected, CatalogSnapshot? ReadSnapshot)> RogueClientAsync(int gatewayPort, Action<TlsOptions>? tls, Action<IServiceProvider>? beforeStart = null)
    {
        var refused = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new ConnectionFailureWatcher(refused));
        builder.UseOrleansClient(client =>
        {
            client.UseLocalhostClustering(gatewayPort, "orleans-proxy", "orleans-proxy");
            if (tls is not null)
            {
                // Orleans' own TLS client, as anyone can add it.
                client.UseTls(tls);
            }
        });
        using var host = builder.Build();
        beforeStart?.Invoke(host.Services);
        using var stop = new CancellationTokenSource();
        var start = host.StartAsync(stop.Token);
        // Bounds a hang only: either outcome comes within seconds.
        await Task.WhenAny(start, refused.Task).WaitAsync(TimeSpan.FromMinutes(2));
        if (!start.IsCompletedSuccessfully)
        {
            // Still retrying (stopped here) or given up (the gateway refused it): either way, never started.
            await stop.CancelAsync();
            Assert.NotNull(await Record.ExceptionAsync(() => start));
            return (false, null);
        }

        try
        {
            var snapshot = await host.Services.GetRequiredService<IClusterClient>().GetGrain<IRouteCatalogGrain>(IRouteCatalogGrain.DefaultKey).GetSnapshot();
            return (true, snapshot);
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            return (true, null);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    /// <summary>Signals the first failed connection attempt the Orleans client logs (the gateway closed it during the handshake).</summary>
    private sealed class ConnectionFailureWatcher(TaskCompletionSource failed) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Watcher(categoryName, failed);

        public void Dispose()
        {
        }

        private sealed class Watcher(string category, TaskCompletionSource failed) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (category.StartsWith("Orleans.Runtime.Messaging.ConnectionManager", StringComparison.Ordinal)
                    && formatter(state, exception).StartsWith("Connection attempt to endpoint", StringComparison.Ordinal))
                {
                    failed.TrySetResult();
                }
            }
        }
    }
}
