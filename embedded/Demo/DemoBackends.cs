using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Proxy.Edge.Hosting;
using Orleans.Proxy.Edge.Routing;
using Orleans.Proxy.Hosting.Diagnostics;
using Orleans.Proxy.Silo.Publishing;

namespace Orleans.Proxy.Embedded.Demo;

/// <summary>
/// Small HTTP backends on 127.0.0.1 for --demo, matching the EndpointSlices in samples/demo.
/// Each names itself in its answer, so a user sees the load balancing and the path routing.
/// "Demo ready" is written once the edge serves the demo's host, so the curl it suggests answers.
/// </summary>
internal sealed partial class DemoBackends(
    IOptions<EdgeOptions> edge,
    IOptions<DiagnosticsOptions> diagnostics,
    IOptions<RoutesOptions> routes,
    RouteTableCache served,
    ILogger<DemoBackends> logger) : IHostedService
{
    internal const string Host = "demo.local";

    // The silo reads and publishes the sample routes after this service started: well within this on any machine.
    private static readonly TimeSpan ServedWithin = TimeSpan.FromSeconds(60);

    internal static readonly (string Name, int Port)[] Backends =
    [
        ("demo-web-1", 5101),
        ("demo-web-2", 5102),
        ("demo-web-3", 5103),
        ("demo-api", 5104),
    ];

    private readonly List<WebApplication> _apps = [];
    private readonly CancellationTokenSource _stopping = new();
    private Task _announced = Task.CompletedTask;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var (name, port) in Backends)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
            var app = builder.Build();
            app.Run(context => context.Response.WriteAsync(
                $"served by {name} (127.0.0.1:{port}) for {context.Request.Method} {context.Request.Host}{context.Request.Path}\n"));
            try
            {
                await app.StartAsync(cancellationToken);
            }
            catch (IOException e)
            {
                throw new InvalidOperationException($"Demo backend {name} cannot listen on 127.0.0.1:{port} ({e.Message}). Free the port or run without --demo.", e);
            }

            _apps.Add(app);
        }

        LogStarted(string.Join(", ", Backends.Select(b => $"{b.Name}=127.0.0.1:{b.Port}")));

        // Not awaited: the silo and the edge start after this service.
        _announced = AnnounceWhenServedAsync(_stopping.Token);
    }

    private async Task AnnounceWhenServedAsync(CancellationToken stopping)
    {
        try
        {
            await served.FirstPublished.WaitAsync(ServedWithin, stopping);
        }
        catch (TimeoutException)
        {
            LogNotServed($"no routing table published {ServedWithin.TotalSeconds:0} s after start", routes.Value.Directory ?? "");
            return;
        }
        catch (OperationCanceledException)
        {
            return;
        }

        if (!served.Current.Hosts.ContainsKey(Host))
        {
            LogNotServed($"the routing table published has {served.Current.Hosts.Count} other hosts", routes.Value.Directory ?? "");
            return;
        }

        var proxy = $"http://{edge.Value.Address}:{edge.Value.Port}/";
        LogDemo(proxy, routes.Value.Directory ?? "", $"http://{diagnostics.Value.Address}:{diagnostics.Value.Port}/diag/hosts");
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _announced;
        foreach (var app in _apps)
        {
            await app.StopAsync(cancellationToken);
            await app.DisposeAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Demo backends listening: {Backends}")]
    private partial void LogStarted(string backends);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The edge does not serve the demo's host " + Host + " ({Reason}): check the log above for the route files in {Routes} (a conversion error names the object)")]
    private partial void LogNotServed(string reason, string routes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Demo ready. Try: curl -H 'Host: " + Host + "' {Url}  (and {Url}api). Edit the route files in {Routes} and the change is served within a second. Routing table: curl {Diag}")]
    private partial void LogDemo(string url, string routes, string diag);
}
