using Microsoft.Extensions.Options;

namespace Orleans.Proxy.Edge.Hosting;

/// <summary>This edge's name in the cluster's diagnostics.</summary>
internal sealed class EdgeIdentity(IOptions<EdgeOptions> options)
{
    public string Id { get; } = options.Value.Id is { Length: > 0 } id ? id
        : $"{Environment.MachineName}-{Environment.ProcessId}-{Random.Shared.Next(0x1000, 0xFFFF):x4}";
}
