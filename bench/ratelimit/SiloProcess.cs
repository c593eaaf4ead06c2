using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Proxy.Silo.Hosting;

/// <summary>
/// A silo in a process of its own (this executable, started with <see cref="Flag"/>), so its CPU time
/// and memory are its own and not the edges'. It stops when the bench closes its standard input,
/// which also happens when the bench dies.
/// </summary>
internal sealed class SiloProcess : IAsyncDisposable
{
    public const string Flag = "--silo-process";

    private readonly Process _process;
    private readonly Task _drain;

    private SiloProcess(Process process, int siloPort, int gatewayPort)
    {
        _process = process;
        SiloPort = siloPort;
        GatewayPort = gatewayPort;
        // Nothing is printed after "ready", but an unread pipe must never block the silo.
        _drain = process.StandardOutput.ReadToEndAsync();
    }

    public int SiloPort { get; }

    public int GatewayPort { get; }

    public TimeSpan Cpu
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    public long Rss
    {
        get
        {
            _process.Refresh();
            return _process.WorkingSet64;
        }
    }

    /// <summary>Starts a silo of its own cluster, or one joining the silo at <paramref name="primarySiloPort"/>, and waits until it has started.</summary>
    public static async Task<SiloProcess> StartAsync(string routes, int? primarySiloPort)
    {
        var (siloPort, gatewayPort) = (Edge.FreePort(), Edge.FreePort());
        var start = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(start.FileName) == "dotnet")
        {
            start.ArgumentList.Add(typeof(SiloProcess).Assembly.Location);
        }

        foreach (var arg in new[] { Flag, routes, $"{siloPort}", $"{gatewayPort}", $"{primarySiloPort ?? siloPort}" })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("the silo process did not start");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
        if (line != "ready")
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"the silo process said '{line}' instead of 'ready'");
        }

        return new SiloProcess(process, siloPort, gatewayPort);
    }

    /// <summary>The silo process itself: arguments routes folder, silo port, gateway port, primary silo port.</summary>
    public static async Task RunAsync(string[] args)
    {
        int Port(int i) => int.Parse(args[i], CultureInfo.InvariantCulture);
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Routes:Directory"] = args[1],
            ["Cluster:SiloPort"] = $"{Port(2)}",
            ["Cluster:GatewayPort"] = $"{Port(3)}",
            ["Cluster:PrimarySiloPort"] = $"{Port(4)}",
        });
        builder.AddOrleansProxySilo();
        using var host = builder.Build();
        await host.StartAsync();
        Console.WriteLine("ready");
        await Console.In.ReadToEndAsync();
        await host.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _drain;
        _process.Dispose();
    }
}

/// <summary>Silos in processes of their own: the first one, then the others joining it.</summary>
internal sealed class SiloCluster : IAsyncDisposable
{
    private SiloCluster(List<SiloProcess> silos) => Silos = silos;

    public IReadOnlyList<SiloProcess> Silos { get; }

    public TimeSpan Cpu => Silos.Aggregate(TimeSpan.Zero, (sum, s) => sum + s.Cpu);

    public long Rss => Silos.Sum(s => s.Rss);

    public static async Task<SiloCluster> StartAsync(string routes, int count)
    {
        var primary = await SiloProcess.StartAsync(routes, null);
        var others = await Task.WhenAll(Enumerable.Range(1, count - 1).Select(_ => SiloProcess.StartAsync(routes, primary.SiloPort)));
        return new SiloCluster([primary, .. others]);
    }

    public async ValueTask DisposeAsync()
    {
        // The joining silos first, so none of them waits on a primary that is gone.
        foreach (var silo in Silos.Reverse())
        {
            await silo.DisposeAsync();
        }
    }
}
