using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Orleans.Proxy.Hosting.Diagnostics;

namespace Orleans.Proxy.Edge.Hosting;

/// <summary>The two listeners; after start their endpoints carry the bound ports (port 0 in tests).</summary>
internal sealed class EdgeListeners(DiagnosticsBinding diagnostics)
{
    public ListenOptions? Public { get; set; }

    /// <summary>The HTTPS listener, when Edge:HttpsPort is set.</summary>
    public ListenOptions? Https { get; set; }

    public IPEndPoint PublicEndpoint => Public?.IPEndPoint ?? throw new InvalidOperationException("The edge has not started");

    public IPEndPoint DiagnosticsEndpoint => diagnostics.Endpoint;
}
