using System.Runtime.CompilerServices;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Proxy.Silo.RouteSources.Kubernetes;

namespace Orleans.Proxy.UnitTests.Kubernetes.Controller;

public sealed class InformerTests
{
    [Fact]
    public async Task RunAsync_Relist_KeepsTheCachedObjectOfAnUnchangedVersion()
    {
        var lists = 0;
        var changes = new[] { new TaskCompletionSource(), new TaskCompletionSource() };
        var informer = new Informer<V1Service>(
            "Service",
            _ =>
            {
                lists++;
                IEnumerable<V1Service> items = [Service("same", "1"), Service("edited", lists.ToString(System.Globalization.CultureInfo.InvariantCulture))];
                return Task.FromResult((items, "10"));
            },
            WatchNothing,
            () => changes[Math.Min(lists, 2) - 1].TrySetResult(),
            NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var running = informer.RunAsync(stop.Token);
        await changes[0].Task.WaitAsync(TimeSpan.FromSeconds(30));
        var first = informer.Items.ToDictionary(s => s.Metadata.Name);

        informer.RequestRelist();
        await changes[1].Task.WaitAsync(TimeSpan.FromSeconds(30));
        var second = informer.Items.ToDictionary(s => s.Metadata.Name);
        await stop.CancelAsync();
        try
        {
            await running;
        }
        catch (OperationCanceledException)
        {
            // Stopping ends the loop either at its condition or by cancelling the watch.
        }

        Assert.Same(first["same"], second["same"]);
        Assert.NotSame(first["edited"], second["edited"]);
        Assert.Equal("2", second["edited"].Metadata.ResourceVersion);
    }

    private static V1Service Service(string name, string version) => new() { Metadata = new() { Name = name, NamespaceProperty = "ns", ResourceVersion = version } };

    private static async IAsyncEnumerable<(WatchEventType, V1Service)> WatchNothing(string resourceVersion, Action<Exception> onError, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Delay(Timeout.Infinite, cancellationToken);
        yield break;
    }
}
