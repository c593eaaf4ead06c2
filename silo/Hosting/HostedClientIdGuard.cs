using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Microsoft.AspNetCore.Connections;

namespace Orleans.Proxy.Silo.Hosting;

/// <summary>
/// Refuses a gateway connection whose client calls itself a silo's own client ("hosted-" and the silo
/// address). Orleans' gateway takes the id a client announces; the messages for that id, the answers
/// to the route source's calls included, would then go to that connection instead of the silo.
/// </summary>
/// <remarks>
/// Orleans offers no hook on the announced id, so the announcement (the connection's first frame: a
/// length and the serialized preamble, at most 1 KB) is read here without consuming it, and Orleans
/// reads it again. A grain id's key is serialized as its UTF-8 bytes, so the silo's prefix shows as is.
/// </remarks>
internal static class HostedClientIdGuard
{
    private const int MaxPreamble = 1024;
    private static readonly byte[] HostedPrefix = Encoding.UTF8.GetBytes("hosted-");

    public static ConnectionDelegate Use(ConnectionDelegate next) => async connection =>
    {
        var input = connection.Transport.Input;
        while (true)
        {
            var read = await input.ReadAsync(connection.ConnectionClosed);
            var buffer = read.Buffer;
            var length = buffer.Length >= 4 ? ReadLength(buffer) : (int?)null;
            if (length is > MaxPreamble or < 0)
            {
                // Not a preamble Orleans would take either: it refuses the connection itself.
                input.AdvanceTo(buffer.Start);
                break;
            }

            if (length is { } announcedLength && buffer.Length >= 4 + announcedLength)
            {
                var announced = buffer.Slice(4, announcedLength).ToArray();
                input.AdvanceTo(buffer.Start);
                if (announced.AsSpan().IndexOf(HostedPrefix) >= 0)
                {
                    connection.Abort(new ConnectionAbortedException("a cluster client announced a silo's own client id"));
                    return;
                }

                break;
            }

            if (read.IsCompleted || read.IsCanceled)
            {
                input.AdvanceTo(buffer.Start);
                return;
            }

            // Not all of it yet: wait for more.
            input.AdvanceTo(buffer.Start, buffer.End);
        }

        await next(connection);
    };

    private static int ReadLength(ReadOnlySequence<byte> buffer)
    {
        Span<byte> bytes = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(bytes);
        return BinaryPrimitives.ReadInt32LittleEndian(bytes);
    }
}
