using System.Net;
using System.Net.Sockets;

namespace Orleans.Proxy.IntegrationTests.Infrastructure;

/// <summary>
/// A TCP relay from one loopback endpoint to another, that can be cut (listener closed, every relayed
/// connection reset: a network partition as the client sees it) and restored on the same port.
/// </summary>
internal sealed class TcpRelay : IAsyncDisposable
{
    private readonly IPEndPoint _target;
    private readonly IPAddress _address;
    private readonly object _lock = new();
    private readonly List<Socket> _open = [];
    private TcpListener? _listener;
    private CancellationTokenSource? _cut;

    /// <param name="address">Where it listens (127.0.0.1 unless given).</param>
    /// <param name="targetAddress">Where it forwards to (127.0.0.1 unless given).</param>
    public TcpRelay(int port, int target, IPAddress? address = null, IPAddress? targetAddress = null)
    {
        Port = port;
        _address = address ?? IPAddress.Loopback;
        _target = new IPEndPoint(targetAddress ?? IPAddress.Loopback, target);
    }

    public int Port { get; }

    public void Start()
    {
        lock (_lock)
        {
            _cut = new CancellationTokenSource();
            _listener = new TcpListener(_address, Port);
            _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            _listener.Start();
            _ = AcceptAsync(_listener, _cut.Token);
        }
    }

    /// <summary>Closes the listener and resets every relayed connection.</summary>
    public void Cut()
    {
        lock (_lock)
        {
            _cut?.Cancel();
            _listener?.Stop();
            foreach (var socket in _open)
            {
                try
                {
                    // A reset, not a polite close: the other side sees the connection die.
                    socket.LingerState = new LingerOption(true, 0);
                }
                catch (ObjectDisposedException)
                {
                    // Already closed by its pump.
                }

                socket.Dispose();
            }

            _open.Clear();
        }
    }

    public ValueTask DisposeAsync()
    {
        Cut();
        return ValueTask.CompletedTask;
    }

    private async Task AcceptAsync(TcpListener listener, CancellationToken cut)
    {
        while (!cut.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptSocketAsync(cut);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await upstream.ConnectAsync(_target, cut);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
                client.Dispose();
                upstream.Dispose();
                continue;
            }

            lock (_lock)
            {
                if (cut.IsCancellationRequested)
                {
                    client.Dispose();
                    upstream.Dispose();
                    return;
                }

                _open.Add(client);
                _open.Add(upstream);
            }

            _ = PumpAsync(client, upstream, cut);
            _ = PumpAsync(upstream, client, cut);
        }
    }

    private static async Task PumpAsync(Socket from, Socket to, CancellationToken cut)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, cut);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, cut);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            from.Dispose();
            to.Dispose();
        }
    }
}
