using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Proxy.Silo.Routing;

namespace Orleans.Proxy.Edge.Hosting;

/// <summary>Tells the person who just started the edge where to point curl.</summary>
internal sealed partial class StartupBanner(
    IHostApplicationLifetime lifetime,
    EdgeListeners listeners,
    IOptions<EdgeOptions> edge,
    IOptions<RoutesOptions> routes,
    ILogger<StartupBanner> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() =>
        {
            var proxy = listeners.PublicEndpoint;
            var diag = listeners.DiagnosticsEndpoint;
            LogListening(edge.Value.Mode, $"http://{proxy}", $"http://{diag}");
            if (edge.Value.Demo)
            {
                LogDemo($"http://{proxy}/", routes.Value.Directory ?? "", $"http://{diag}/diag/hosts");
            }
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Edge ({Mode}) proxying on {Proxy}; diagnostics on {Diagnostics}")]
    private partial void LogListening(EdgeMode mode, string proxy, string diagnostics);

    [LoggerMessage(Level = LogLevel.Information, Message = "Demo ready. Try: curl -H 'Host: demo.local' {Url}  (and {Url}api). Edit the route files in {Routes} and the change is served within a second. Routing table: curl {Diag}")]
    private partial void LogDemo(string url, string routes, string diag);
}
