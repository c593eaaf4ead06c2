using System.Net.Http.Headers;
using Orleans.Proxy.IntegrationTests.Infrastructure;
using Orleans.Proxy.IntegrationTests.Kubernetes.Kustomize;
using Xunit.Abstractions;

using Orleans.Proxy.Testing;

namespace Orleans.Proxy.IntegrationTests.Images;

/// <summary>
/// k8s/Dockerfile.silo and k8s/Dockerfile.edge build as written (no Docker engine needed): their build
/// stages are replayed from the repository into a temporary folder (honouring .dockerignore, so a file the
/// build needs but COPY forgets fails here), Release restore and publish included, and the published hosts
/// are started as the images' ENTRYPOINTs start them, then serve one request. Slow (two Release
/// publishes): filter it in or out with Category=Images.
/// </summary>
[Collection(SeparateProcessesCollection.Name)]
[Trait("Category", "Images")]
public sealed class DockerfileTests(ITestOutputHelper output)
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task Dockerfiles_BuildStagesReplayed_PublishedSiloAndEdgeServeARequest()
    {
        var repository = Path.GetDirectoryName(KubernetesManifests.Directory)!;
        using var work = new TempDirectory();
        var silo = await DockerfileReplay.RunAsync(repository, "k8s/Dockerfile.silo", Path.Combine(work.Path, "silo"), CommandTimeout);
        var edge = await DockerfileReplay.RunAsync(repository, "k8s/Dockerfile.edge", Path.Combine(work.Path, "edge"), CommandTimeout);
        foreach (var line in silo.Log.Concat(edge.Log))
        {
            output.WriteLine(line);
        }

        Assert.Equal(["dotnet", "Orleans.Proxy.Silo.dll"], silo.Entrypoint);
        Assert.Equal(["dotnet", "Orleans.Proxy.Edge.dll"], edge.Entrypoint);
        Assert.Equal([11111, 30000, 9092, 9093], silo.ExposedPorts);
        Assert.Equal([8080, 8443, 9090, 9091], edge.ExposedPorts);
        // The edge image carries neither the silo nor the grains.
        Assert.False(File.Exists(Path.Combine(edge.RuntimeDirectory, "Orleans.Proxy.Silo.dll")));
        Assert.False(File.Exists(Path.Combine(edge.RuntimeDirectory, "Orleans.Proxy.Grains.dll")));

        await using var backend = await TestBackend.StartAsync("web");
        var routes = Path.Combine(work.Path, "routes");
        Directory.CreateDirectory(routes);
        await File.WriteAllTextAsync(Path.Combine(routes, "web.yaml"), Manifests.ServiceFor("web", backend) + "---\n" + Manifests.Ingress("web", "image.test", ("/", "Prefix", "web")));
        var (siloPort, gatewayPort, edgePort, edgeDiagnostics) = (FreePorts.Next(), FreePorts.Next(), FreePorts.Next(), FreePorts.Next());
        await using var siloProcess = HostProcess.Start(silo.Entrypoint[1], silo.RuntimeDirectory, new Dictionary<string, string>
        {
            ["Cluster__SiloPort"] = $"{siloPort}",
            ["Cluster__PrimarySiloPort"] = $"{siloPort}",
            ["Cluster__GatewayPort"] = $"{gatewayPort}",
            ["Routes__Directory"] = routes,
            ["Diagnostics__Address"] = "127.0.0.1",
            ["Diagnostics__Port"] = "0",
            ["Diagnostics__Token"] = "image-test-token",
        });
        await using var edgeProcess = HostProcess.Start(edge.Entrypoint[1], edge.RuntimeDirectory, new Dictionary<string, string>
        {
            ["Edge__Address"] = "127.0.0.1",
            ["Edge__Port"] = $"{edgePort}",
            ["Edge__PollInterval"] = "00:00:01",
            ["Edge__DrainPeriod"] = "00:00:00",
            ["Cluster__GatewayPort"] = $"{gatewayPort}",
            ["Diagnostics__Address"] = "127.0.0.1",
            ["Diagnostics__Port"] = $"{edgeDiagnostics}",
            ["Diagnostics__Token"] = "image-test-token",
        });

        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{edgePort}") };
        try
        {
            await Eventually.Until(async () =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/from-the-image");
                request.Headers.Host = "image.test";
                try
                {
                    using var response = await client.SendAsync(request);
                    return (await response.Content.ReadAsStringAsync()).StartsWith("web image.test /from-the-image", StringComparison.Ordinal);
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, "a request goes through the published edge and silo to the backend", TimeSpan.FromSeconds(90));
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\n--- silo ---\n{siloProcess.Output}\n--- edge ---\n{edgeProcess.Output}", e);
        }

        using var diagnostics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{edgeDiagnostics}") };
        diagnostics.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "image-test-token");
        Assert.Contains("\"version\":\"0.2.0", await diagnostics.GetStringAsync("/diag/version"), StringComparison.Ordinal);
    }
}
