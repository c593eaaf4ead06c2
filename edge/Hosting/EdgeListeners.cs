using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Orleans.Proxy.Edge.Hosting;

/// <summary>The two listeners; after start their endpoints carry the bound ports (port 0 in tests).</summary>
internal sealed class EdgeListeners
{
    public ListenOptions? Public { get; set; }

    public ListenOptions? Diagnostics { get; set; }

    /// <summary>The HTTPS listener, when Edge:HttpsPort is set.</summary>
    public ListenOptions? Https { get; set; }

    public IPEndPoint PublicEndpoint => Public?.IPEndPoint ?? throw new InvalidOperationException("The edge has not started");

    public IPEndPoint DiagnosticsEndpoint => Diagnostics?.IPEndPoint ?? throw new InvalidOperationException("The edge has not started");

    /// <summary>"0.0.0.0", "::", "*", "localhost" or an IP address.</summary>
    public static bool TryParseAddress(string text, out IPAddress address)
    {
        switch (text)
        {
            case "*":
                address = IPAddress.Any;
                return true;
            case "localhost":
                address = IPAddress.Loopback;
                return true;
            default:
                return IPAddress.TryParse(text, out address!);
        }
    }
}
