using System.Text;
using Orleans.Proxy.Edge.AccessLog;

namespace Orleans.Proxy.Testing;

/// <summary>The access log's output decoded into a test's <see cref="TextWriter"/>.</summary>
internal static class TestAccessLog
{
    public static AccessLogOutput Output(TextWriter writer) => new(new DecodingStream(writer), writer);

    /// <summary>Each write is a batch of whole lines, so it decodes on its own.</summary>
    private sealed class DecodingStream(TextWriter writer) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(ReadOnlySpan<byte> buffer) => writer.Write(Encoding.UTF8.GetString(buffer));

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Flush() => writer.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
