using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Orleans.Proxy.Hosting.Diagnostics;

/// <summary>Says loudly at start that the diagnostics API is open.</summary>
internal sealed partial class InsecureDiagnosticsWarning(IOptions<DiagnosticsOptions> options, DiagnosticsBinding binding, IHostApplicationLifetime lifetime, ILogger<InsecureDiagnosticsWarning> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.Insecure)
        {
            lifetime.ApplicationStarted.Register(() => LogInsecure($"http://{binding.Endpoint}"));
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Diagnostics API on {Url} has no token (--diag-insecure): for local use only, never expose this port")]
    private partial void LogInsecure(string url);
}
