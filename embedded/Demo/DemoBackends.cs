using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Proxy.Edge.Hosting;
using Orleans.Proxy.Hosting.Diagnostics;
using Orleans.Proxy.Silo.Publishing;

namespace Orleans.Proxy.Embedded.Demo;

/// <summary>
/// Small HTTP backends on 127.0.0.1 for --demo, matching the EndpointSlices in samples/demo.
/// Each names itself in its answer, so a user sees the load balancing and the path routing.
/// </summary>
internal sealed partial class DemoBackends(IOptions<EdgeOptions> edge, IOptions<DiagnosticsOptions> diagnostics, IOptions<RoutesOptions> routes, ILogger<DemoBackends> logger) : IHostedService
{
    internal static readonly (string Name, int Port)[] Backends =
    [
        ("demo-web-1", 5101),
        ("demo-web-2", 5102),
        ("demo-web-3", 5103),
        ("demo-api", 5104),
    ];

    private readonly List<WebApplication> _apps = [];

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
        var proxy = $"http://{edge.Value.Address}:{edge.Value.Port}/";
        LogDemo(proxy, routes.Value.Directory ?? "", $"http://{diagnostics.Value.Address}:{diagnostics.Value.Port}/diag/hosts");
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var app in _apps)
        {
            await app.StopAsync(cancellationToken);
            await app.DisposeAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Demo backends listening: {Backends}")]
    private partial void LogStarted(string backends);

    [LoggerMessage(Level = LogLevel.Information, Message = "Demo ready. Try: curl -H 'Host: demo.local' {Url}  (and {Url}api). Edit the route files in {Routes} and the change is served within a second. Routing table: curl {Diag}")]
    private partial void LogDemo(string url, string routes, string diag);
}
