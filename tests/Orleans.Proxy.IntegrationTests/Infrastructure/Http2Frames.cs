using System.Buffers.Binary;
using System.Text;

namespace Orleans.Proxy.IntegrationTests.Infrastructure;

/// <summary>
/// Raw HTTP/2 frames (RFC 9113), written byte for byte for attacks a well-behaved client would not send (rapid reset),
/// and a reader of the frames a server sends back. Header blocks use HPACK (RFC 7541) literals without indexing, so
/// no dynamic table is involved and no Huffman coding is needed.
/// </summary>
internal static class Http2Frames
{
    public const byte Data = 0x0;
    public const byte Headers = 0x1;
    public const byte RstStream = 0x3;
    public const byte Settings = 0x4;
    public const byte Ping = 0x6;
    public const byte GoAway = 0x7;

    public const byte EndStream = 0x1;
    public const byte Ack = 0x1;
    public const byte EndHeaders = 0x4;

    public const uint Cancel = 0x8;
    public const uint EnhanceYourCalm = 0xb;
    public const uint Http11Required = 0xd;

    /// <summary>The client connection preface (RFC 9113 section 3.4).</summary>
    public static ReadOnlySpan<byte> Preface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    /// <summary>A frame: 24-bit length, type, flags, 31-bit stream id, payload.</summary>
    public static void Write(Stream into, byte type, byte flags, int streamId, ReadOnlySpan<byte> payload)
    {
        Span<byte> header = stackalloc byte[9];
        header[0] = (byte)(payload.Length >> 16);
        header[1] = (byte)(payload.Length >> 8);
        header[2] = (byte)payload.Length;
        header[3] = type;
        header[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(header[5..], streamId & 0x7fffffff);
        into.Write(header);
        into.Write(payload);
    }

    /// <summary>An empty SETTINGS frame: the client takes every default.</summary>
    public static void WriteSettings(Stream into) => Write(into, Settings, 0, 0, []);

    /// <summary>HEADERS for "GET {path}" on <paramref name="authority"/>, ending the stream (a request without a body).</summary>
    public static void WriteGet(Stream into, int streamId, string authority, string path) =>
        Write(into, Headers, EndStream | EndHeaders, streamId, HeaderBlock((":method", "GET"), (":scheme", "http"), (":authority", authority), (":path", path)));

    public static void WriteRstStream(Stream into, int streamId, uint errorCode)
    {
        Span<byte> payload = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(payload, errorCode);
        Write(into, RstStream, 0, streamId, payload);
    }

    /// <summary>A PING the server must answer with an ACK carrying the same 8 bytes, after the frames sent before it.</summary>
    public static void WritePing(Stream into, long opaque)
    {
        Span<byte> payload = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(payload, opaque);
        Write(into, Ping, 0, 0, payload);
    }

    /// <summary>Each field as "literal header field without indexing, new name" (0x00, then name and value as plain strings).</summary>
    public static byte[] HeaderBlock(params (string Name, string Value)[] fields)
    {
        var block = new MemoryStream();
        foreach (var (name, value) in fields)
        {
            block.WriteByte(0x00);
            WriteString(block, name);
            WriteString(block, value);
        }

        return block.ToArray();
    }

    /// <summary>
    /// Reads one frame; null at the end of the stream. A reset connection ends the stream too (an IOException reaches the caller).
    /// </summary>
    public static async Task<Frame?> ReadAsync(Stream from, CancellationToken cancellationToken)
    {
        var header = new byte[9];
        if (!await ReadExactlyOrEndAsync(from, header, cancellationToken))
        {
            return null;
        }

        var length = (header[0] << 16) | (header[1] << 8) | header[2];
        var payload = new byte[length];
        return await ReadExactlyOrEndAsync(from, payload, cancellationToken)
            ? new Frame(header[3], header[4], BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(5)) & 0x7fffffff, payload)
            : null;
    }

    private static void WriteString(Stream into, string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        // A string literal: H bit 0 (not Huffman), length as a 7-bit prefix integer (RFC 7541 section 5.1).
        var length = bytes.Length;
        if (length < 0x7f)
        {
            into.WriteByte((byte)length);
        }
        else
        {
            into.WriteByte(0x7f);
            length -= 0x7f;
            while (length >= 0x80)
            {
                into.WriteByte((byte)((length & 0x7f) | 0x80));
                length >>= 7;
            }

            into.WriteByte((byte)length);
        }

        into.Write(bytes);
    }

    private static async Task<bool> ReadExactlyOrEndAsync(Stream from, byte[] buffer, CancellationToken cancellationToken)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await from.ReadAsync(buffer.AsMemory(read), cancellationToken);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }

    internal sealed record Frame(byte Type, byte Flags, int StreamId, byte[] Payload)
    {
        /// <summary>The error code of a RST_STREAM or GOAWAY frame.</summary>
        public uint ErrorCode => Type switch
        {
            RstStream => BinaryPrimitives.ReadUInt32BigEndian(Payload),
            GoAway => BinaryPrimitives.ReadUInt32BigEndian(Payload.AsSpan(4)),
            _ => throw new InvalidOperationException($"frame type {Type} has no error code"),
        };

        /// <summary>True for the server's answer to <see cref="WritePing"/> with this opaque value.</summary>
        public bool IsPingAck(long opaque) => Type == Ping && (Flags & Ack) != 0 && BinaryPrimitives.ReadInt64BigEndian(Payload) == opaque;

        /// <summary>The last stream id a GOAWAY frame says the server processed (or may still process).</summary>
        public int LastStreamId => BinaryPrimitives.ReadInt32BigEndian(Payload) & 0x7fffffff;
    }
}
