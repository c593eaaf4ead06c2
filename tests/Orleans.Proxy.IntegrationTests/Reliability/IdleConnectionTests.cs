using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Orleans.Proxy.IntegrationTests.Infrastructure;
using Orleans.Proxy.Testing;
using Xunit.Abstractions;

namespace Orleans.Proxy.IntegrationTests.Reliability;

/// <summary>
/// 10,000 idle connections against an edge process (the build output's Orleans.Proxy.Edge.dll, so its memory is its own):
/// half send nothing, half a partial request line. The edge keeps serving, and its keep-alive and request-headers
/// timeouts close them all. The memory each costs is printed, not asserted. Linux: descriptors and limits are read from /proc.
/// </summary>
[Collection(SeparateProcessesCollection.Name)]
public sealed class IdleConnectionTests(ITestOutputHelper output)
{
    private const string Host = "idle.test";
    private const int Wanted = 10_000;

    /// <summary>Descriptors the test process keeps for itself (the silo, the backend, the runtime) besides the connections.</summary>
    private const int Reserve = 1_000;

    [Fact]
    public async Task Edge_TenThousandIdleConnections_StillServes_TimeoutsCloseThemAll()
    {
        var limit = OpenFilesLimit();
        var count = Math.Min(Wanted, limit - Reserve);
        output.WriteLine($"open files limit {limit}: {count} connections{(count < Wanted ? $" (fewer than {Wanted}: the limit allows no more)" : "")}");

        await using var backend = await TestBackend.StartAsync("idle");
        using var routes = new TempDirectory();
        routes.Write("idle.yaml", Manifests.ServiceFor("idle", backend) + "---\n" + Manifests.Ingress("idle", Host, ("/", "Prefix", "idle")));
        await using var silo = await TestSilo.StartAsync(routes.Path);
        var port = FreePorts.Next();
        await using var edge = HostProcess.Start(Path.Combine(AppContext.BaseDirectory, "Orleans.Proxy.Edge.dll"), routes.Path, new Dictionary<string, string>
        {
            ["Edge__Address"] = "127.0.0.1",
            ["Edge__Port"] = $"{port}",
            ["Edge__PollInterval"] = "00:00:01",
            // Long enough to open them all and measure, short enough for a test (defaults: 130 s and 30 s).
            ["Edge__KeepAliveTimeout"] = "00:00:20",
            ["Edge__RequestHeadersTimeout"] = "00:00:20",
            ["Cluster__GatewayPort"] = $"{silo.GatewayPort}",
            ["Diagnostics__Address"] = "127.0.0.1",
            ["Diagnostics__Port"] = $"{FreePorts.Next()}",
            ["Diagnostics__Token"] = TestEdge.DiagnosticsToken,
        });
        var endpoint = new IPEndPoint(IPAddress.Loopback, port);
        using var client = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero }) { BaseAddress = new Uri($"http://{endpoint}") };
        await Until(async () => await StatusAsync(client) == HttpStatusCode.OK, "the edge process serves the route", edge);
        for (var i = 0; i < 20; i++)
        {
            await StatusAsync(client);
        }

        using var process = Process.GetProcessById(edge.Id);
        var (rssBefore, fdsBefore) = (Rss(process), Descriptors(edge.Id));

        // Open them, 64 at a time; odd ones send the start of a request line and stop there.
        var sockets = new Socket[count];
        var opening = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            sockets[i] = socket;
            await socket.ConnectAsync(endpoint, cancellationToken);
            if (i % 2 == 1)
            {
                await socket.SendAsync("GET /idle HT"u8.ToArray(), cancellationToken);
            }
        });
        opening.Stop();
        try
        {
            // Every connection accepted: the edge holds a descriptor for each (give or take its own to the backend and the silo).
            await Until(() => Task.FromResult(Descriptors(edge.Id) >= fdsBefore + count - (count / 100)), $"the edge holds {count} more descriptors", edge);
            var (rssAfter, fdsAfter) = (Rss(process), Descriptors(edge.Id));
            output.WriteLine($"opened {count} connections in {opening.Elapsed.TotalSeconds:F1} s; edge descriptors {fdsBefore} -> {fdsAfter}");
            output.WriteLine($"edge RSS {rssBefore / 1048576.0:F1} MiB -> {rssAfter / 1048576.0:F1} MiB: {(rssAfter - rssBefore) / 1024.0 / count:F1} KiB per idle connection");

            // A normal client is served while they are all open.
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(client));

            // The timeouts close every one of them (the edge ends each; none is left for the client to give up on).
            using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            var ends = await Task.WhenAll(sockets.Select(s => WaitForCloseAsync(s, guard.Token)));
            output.WriteLine($"closed by the edge: {ends.Count(e => e == "closed")}, with a 408 first: {ends.Count(e => e == "408")}, reset: {ends.Count(e => e == "reset")}");
            Assert.DoesNotContain("still open", ends);
            Assert.DoesNotContain("other", ends);
            await Until(() => Task.FromResult(Descriptors(edge.Id) < fdsBefore + count / 100), "the edge releases their descriptors", edge);
        }
        finally
        {
            foreach (var socket in sockets)
            {
                socket?.Dispose();
            }
        }

        // And serves on.
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(client));
    }

    /// <summary>"closed" (end of stream), "408" (a timeout answer, then the end), "reset", or "still open" when the guard ran out.</summary>
    private static async Task<string> WaitForCloseAsync(Socket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[512];
        var received = 0;
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer.AsMemory(received), SocketFlags.None, cancellationToken)) > 0)
            {
                received += read;
                if (received == buffer.Length)
                {
                    return "other";
                }
            }
        }
        catch (SocketException)
        {
            return "reset";
        }
        catch (OperationCanceledException)
        {
            return "still open";
        }

        return received == 0 ? "closed"
            : System.Text.Encoding.ASCII.GetString(buffer, 0, received).StartsWith("HTTP/1.1 408 ", StringComparison.Ordinal) ? "408" : "other";
    }

    private static async Task<HttpStatusCode?> StatusAsync(HttpClient client)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/");
            request.Headers.Host = Host;
            using var response = await client.SendAsync(request);
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private static long Rss(Process process)
    {
        process.Refresh();
        return process.WorkingSet64;
    }

    private static int Descriptors(int pid) => Directory.GetFiles($"/proc/{pid}/fd").Length;

    /// <summary>The soft limit on open files ("Max open files" in /proc/self/limits); children inherit it.</summary>
    private static int OpenFilesLimit()
    {
        var line = File.ReadLines("/proc/self/limits").First(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        var soft = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        return soft == "unlimited" ? int.MaxValue : int.Parse(soft, CultureInfo.InvariantCulture);
    }

    private static async Task Until(Func<Task<bool>> condition, string what, HostProcess process)
    {
        try
        {
            await Eventually.Until(condition, what, TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\n--- edge ---\n{process.Output}", e);
        }
    }
}
