using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Proxy.Diagnostics;
using Orleans.Proxy.Edge.Hosting;

namespace Orleans.Proxy.Edge.AccessLog;

/// <summary>
/// Where the lines go: UTF-8 bytes, a batch of whole lines per write from the writer's one thread, each written
/// while holding <paramref name="WriteLock"/> so that no other output lands inside a batch.
/// </summary>
internal sealed record AccessLogOutput(Stream Stream, object WriteLock)
{
    /// <summary>
    /// stdout as bytes: through Console.Out every 256 characters were a system call, one per line of the log
    /// (1.4 us a line against 0.1 us for a batch in one write), and a reader such as a container runtime got lines in pieces.
    /// Console.Out is a synchronized writer, which locks itself for each write, as the console logger's are; holding that
    /// lock keeps log messages and access-log batches whole.
    /// </summary>
    public static AccessLogOutput StandardOutput() => new(Console.OpenStandardOutput(), Console.Out);
}

/// <summary>
/// A bounded queue and one background writer. The request path only enqueues; when the writer
/// falls behind and the queue is full the line is dropped and counted, never waited for.
/// </summary>
internal sealed class AccessLogWriter(AccessLogOutput output, ProxyMetrics metrics, EdgeIdentity identity, IOptions<AccessLogOptions> options) : BackgroundService
{
    private readonly Channel<AccessLogEntry> _queue = Channel.CreateBounded<AccessLogEntry>(new BoundedChannelOptions(options.Value.QueueCapacity)
    {
        FullMode = BoundedChannelFullMode.Wait, // with TryWrite: refuse when full, so the drop is counted
        SingleReader = true,
    });

    private readonly TimeSpan _flushInterval = options.Value.FlushInterval;

    public void TryWrite(in AccessLogEntry entry)
    {
        if (!_queue.Writer.TryWrite(entry))
        {
            metrics.AccessLogDropped(identity.Id);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using var json = new Utf8JsonWriter(buffer);
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                Drain(buffer, json);
                // Batches: one wake-up and one write per interval under load, instead of one per request; none when idle.
                await Task.Delay(_flushInterval, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        // Lines queued by requests that finished during shutdown.
        Drain(buffer, json);
    }

    private void Drain(ArrayBufferWriter<byte> buffer, Utf8JsonWriter json)
    {
        while (_queue.Reader.TryRead(out var entry))
        {
            Format(json, entry);
            json.Flush();
            json.Reset();
            buffer.Write("\n"u8);
            if (buffer.WrittenCount >= 32 * 1024)
            {
                Flush(buffer);
            }
        }

        Flush(buffer);
    }

    private void Flush(ArrayBufferWriter<byte> buffer)
    {
        if (buffer.WrittenCount == 0)
        {
            return;
        }

        lock (output.WriteLock)
        {
            output.Stream.Write(buffer.WrittenSpan);
            output.Stream.Flush();
        }

        buffer.ResetWrittenCount();
    }

    internal static void Format(Utf8JsonWriter json, in AccessLogEntry e)
    {
        json.WriteStartObject();
        // Formatted into the line's bytes: no string per line for the time or the client address.
        Span<byte> text = stackalloc byte[64];
        e.Time.UtcDateTime.TryFormat(text, out var written, "yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        json.WriteString("time", text[..written]);
        json.WriteString("method", e.Method);
        json.WriteString("host", e.Host);
        json.WriteString("path", e.Path);
        json.WriteString("route", e.Route);
        json.WriteString("cluster", e.Cluster);
        json.WriteString("destination", e.Destination);
        json.WriteNumber("status", e.Status);
        json.WriteNumber("durationMs", Math.Round(e.DurationMs, 3));
        json.WriteNumber("bytes", e.Bytes);
        if (e.ClientIp is { } ip && ip.TryFormat(text, out written))
        {
            json.WriteString("clientIp", text[..written]);
        }
        else
        {
            json.WriteNull("clientIp");
        }

        json.WriteString("rateLimit", e.RateLimit);
        if (e.Cache is not null)
        {
            json.WriteString("cache", e.Cache);
        }
        json.WriteEndObject();
    }
}
