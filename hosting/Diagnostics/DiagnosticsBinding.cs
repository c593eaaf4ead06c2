using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Orleans.Proxy.Hosting.Diagnostics;

/// <summary>The diagnostics listener; after start its endpoint carries the bound port (port 0 in tests).</summary>
public sealed class DiagnosticsBinding
{
    public ListenOptions? Listener { get; set; }

    public IPEndPoint Endpoint => Listener?.IPEndPoint ?? throw new InvalidOperationException("The host has not started");

    /// <summary>The metrics-only listener (Diagnostics:MetricsPort), when configured.</summary>
    public ListenOptions? MetricsListener { get; set; }

    public IPEndPoint? MetricsEndpoint => MetricsListener?.IPEndPoint;
}
