using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Orleans.Proxy.Edge.Caching;

/// <summary>What happens to a backend response's body, decided when it starts (status and headers known).</summary>
internal enum CaptureMode
{
    /// <summary>To the client only.</summary>
    Pass,
    /// <summary>To the client, and copied for the cache (up to a limit).</summary>
    Tee,
    /// <summary>Copied for the cache only: the client gets an answer from the cache afterwards (a 304 to its conditional request).</summary>
    CaptureOnly,
    /// <summary>Nowhere: the client gets a stored response instead (after a 304 revalidation, or a backend error).</summary>
    Discard,
}

/// <summary>
/// Stands in for the response body while YARP forwards a request the cache may store or answer. The
/// first write, flush or start decides (through <c>decide</c>) whether the backend's answer goes to
/// the client, into the cache, both, or nowhere; until then nothing reaches the client, so the cache
/// can still answer instead of a 304 or a 5xx.
/// </summary>
internal sealed class ResponseCapture : Stream, IHttpResponseBodyFeature
{
    private readonly IHttpResponseBodyFeature _inner;
    private readonly Func<CaptureMode> _decide;
    private readonly long _limit;
    private MemoryStream? _copy;
    private PipeWriter? _writer;

    public ResponseCapture(IHttpResponseBodyFeature inner, Func<CaptureMode> decide, long limit)
    {
        _inner = inner;
        _decide = decide;
        _limit = limit;
    }

    public CaptureMode? Mode { get; private set; }

    /// <summary>The body exceeded the limit: the copy was dropped.</summary>
    public bool Overflowed { get; private set; }

    /// <summary>The copied body (Tee, CaptureOnly), or null when it overflowed or was not copied.</summary>
    public byte[]? Body => Overflowed || Mode is not (CaptureMode.Tee or CaptureMode.CaptureOnly) ? null : _copy?.ToArray() ?? [];

    private bool ToClient => Mode is CaptureMode.Pass or CaptureMode.Tee;

    private bool ToCopy => Mode is CaptureMode.Tee or CaptureMode.CaptureOnly && !Overflowed;

    /// <summary>Decides now when nothing was written (e.g. an error status without a body).</summary>
    public CaptureMode Decide()
    {
        Mode ??= _decide();
        return Mode.Value;
    }

    Stream IHttpResponseBodyFeature.Stream => this;

    PipeWriter IHttpResponseBodyFeature.Writer => _writer ??= PipeWriter.Create(this, new StreamPipeWriterOptions(leaveOpen: true));

    void IHttpResponseBodyFeature.DisableBuffering() => _inner.DisableBuffering();

    async Task IHttpResponseBodyFeature.StartAsync(CancellationToken cancellationToken)
    {
        Decide();
        if (ToClient)
        {
            await _inner.StartAsync(cancellationToken);
        }
    }

    Task IHttpResponseBodyFeature.SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken) =>
        SendFileFallback.SendFileAsync(this, path, offset, count, cancellationToken);

    async Task IHttpResponseBodyFeature.CompleteAsync()
    {
        Decide();
        if (_writer is not null)
        {
            await _writer.FlushAsync();
        }

        if (ToClient)
        {
            await _inner.CompleteAsync();
        }
    }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Decide();
        Copy(buffer);
        if (ToClient)
        {
            _inner.Stream.Write(buffer);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Decide();
        Copy(buffer.Span);
        return ToClient ? _inner.Stream.WriteAsync(buffer, cancellationToken) : ValueTask.CompletedTask;
    }

    public override void Flush()
    {
        Decide();
        if (ToClient)
        {
            _inner.Stream.Flush();
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        Decide();
        return ToClient ? _inner.Stream.FlushAsync(cancellationToken) : Task.CompletedTask;
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    private void Copy(ReadOnlySpan<byte> buffer)
    {
        if (!ToCopy || buffer.IsEmpty)
        {
            return;
        }

        _copy ??= new MemoryStream();
        if (_copy.Length + buffer.Length > _limit)
        {
            Overflowed = true;
            _copy = null;
            return;
        }

        _copy.Write(buffer);
    }
}
