using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Orleans.Proxy.Silo.Diagnostics;

namespace Orleans.Proxy.Edge.Hosting;

/// <summary>The two listeners; after start their endpoints carry the bound ports (port 0 in tests).</summary>
internal sealed class EdgeListeners(DiagnosticsBinding diagnostics)
{
    public ListenOptions? Public { get; set; }

    public IPEndPoint PublicEndpoint => Public?.IPEndPoint ?? throw new InvalidOperationException("The edge has not started");

    public IPEndPoint DiagnosticsEndpoint => diagnostics.Endpoint;
}
