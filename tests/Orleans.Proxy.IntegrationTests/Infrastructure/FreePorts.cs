using System.Net;
using System.Net.Sockets;

namespace Orleans.Proxy.IntegrationTests.Infrastructure;

/// <summary>
/// Loopback ports for Orleans and child processes, which need fixed ones (Kestrel listeners use port 0).
/// They come from below the system's ephemeral range: a port the OS handed out for a listener and took
/// back could be taken again as the source port of any outgoing connection before the silo or child
/// process binds it ("address already in use" under load); ports below the range never are.
/// </summary>
internal static class FreePorts
{
    private const int Floor = 20000;
    private static readonly object Lock = new();
    private static readonly HashSet<int> Handed = [];
    private static readonly int Ceiling = EphemeralLow();

    // A random start, so two test runs on one machine rarely walk the same ports.
    private static int _next = Floor + Random.Shared.Next(0, Ceiling - Floor);

    public static int Next()
    {
        lock (Lock)
        {
            for (var tried = 0; tried < Ceiling - Floor; tried++)
            {
                var port = _next;
                _next = _next + 1 >= Ceiling ? Floor : _next + 1;
                if (!Handed.Contains(port) && IsFree(port))
                {
                    Handed.Add(port);
                    return port;
                }
            }

            throw new InvalidOperationException($"no free loopback port between {Floor} and {Ceiling}");
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>The low end of Linux's ephemeral range (32768 by default, and elsewhere).</summary>
    private static int EphemeralLow()
    {
        const string range = "/proc/sys/net/ipv4/ip_local_port_range";
        return File.Exists(range)
            && int.TryParse(File.ReadAllText(range).Split(new[] { '\t', ' ', '\n' }, StringSplitOptions.RemoveEmptyEntries)[0], out var low)
            && low > Floor + 1000
            ? low
            : 32768;
    }
}
