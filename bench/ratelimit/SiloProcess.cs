using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Proxy.Silo.Hosting;

/// <summary>
/// A silo in a process of its own (this executable, started with <see cref="Flag"/>), so its CPU time
/// and memory are its own and not the edges'. It stops when the bench closes its standard input,
/// which also happens when the bench dies; a "gc" line asks it for its heap after a full collection.
/// </summary>
internal sealed class SiloProcess : IAsyncDisposable
{
    public const string Flag = "--silo-process";

    private readonly Process _process;
    private readonly Channel<long> _heaps = Channel.CreateUnbounded<long>();
    private readonly Task _reader;

    private SiloProcess(Process process, int siloPort, int gatewayPort)
    {
        _process = process;
        SiloPort = siloPort;
        GatewayPort = gatewayPort;
        // Every line is read, so an unread pipe never blocks the silo; only the answers to "gc" count.
        _reader = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                if (line.StartsWith("heap ", StringComparison.Ordinal))
                {
                    _heaps.Writer.TryWrite(long.Parse(line.AsSpan(5), CultureInfo.InvariantCulture));
                }
            }
        });
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

    /// <summary>The silo's GC heap after a full, compacting collection: what it still holds.</summary>
    public async Task<long> CollectAsync()
    {
        await _process.StandardInput.WriteLineAsync("gc");
        await _process.StandardInput.FlushAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await _heaps.Reader.ReadAsync(timeout.Token);
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
        while (await Console.In.ReadLineAsync() is { } line)
        {
            if (line == "gc")
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"heap {GC.GetTotalMemory(forceFullCollection: true)}"));
            }
        }

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

        await _reader;
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

    public async Task<long> CollectAsync() => (await Task.WhenAll(Silos.Select(s => s.CollectAsync()))).Sum();

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
