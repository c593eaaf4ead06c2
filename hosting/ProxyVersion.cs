using System.Reflection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Orleans.Proxy.Hosting;

/// <summary>The product version (Directory.Build.props <c>Version</c>), as every assembly of the proxy carries it.</summary>
public static class ProxyVersion
{
    /// <summary>The informational version: "0.2.0", with "+commit" appended when built from a git checkout.</summary>
    public static string Current { get; } =
        typeof(ProxyVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(ProxyVersion).Assembly.GetName().Version?.ToString()
        ?? "0.0.0";
}

/// <summary>The first line a host logs: what runs, at which version.</summary>
internal sealed partial class VersionBanner(string service, ILogger<VersionBanner> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        LogStarting(service, ProxyVersion.Current);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "{Service} {Version} starting")]
    private partial void LogStarting(string service, string version);
}
