using System.Net;
using System.Net.Sockets;

namespace Orleans.Proxy.IntegrationTests.Infrastructure;

/// <summary>Loopback ports for Orleans, which needs fixed ones (Kestrel listeners use port 0).</summary>
internal static class FreePorts
{
    private static readonly object Lock = new();
    private static readonly HashSet<int> Handed = [];

    public static int Next()
    {
        lock (Lock)
        {
            while (true)
            {
                using var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                if (Handed.Add(port))
                {
                    return port;
                }
            }
        }
    }
}
