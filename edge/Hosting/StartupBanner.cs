using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Orleans.Proxy.Edge.Hosting;

/// <summary>Tells the person who just started the edge where to point curl.</summary>
internal sealed partial class StartupBanner(
    IHostApplicationLifetime lifetime,
    EdgeListeners listeners,
    ILogger<StartupBanner> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() => LogListening($"http://{listeners.PublicEndpoint}", $"http://{listeners.DiagnosticsEndpoint}"));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Edge proxying on {Proxy}; diagnostics on {Diagnostics}")]
    private partial void LogListening(string proxy, string diagnostics);
}
