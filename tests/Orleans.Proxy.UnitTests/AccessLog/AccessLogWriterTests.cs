using System.Net;
using Microsoft.Extensions.Options;
using Orleans.Proxy.Diagnostics;
using Orleans.Proxy.Edge.AccessLog;
using Orleans.Proxy.Edge.Hosting;
using Orleans.Proxy.UnitTests.RateLimiting;

using Orleans.Proxy.Testing;

namespace Orleans.Proxy.UnitTests.AccessLog;

/// <summary>What the access log writes for a request, byte for byte, whatever the request's strings hold.</summary>
public sealed class AccessLogWriterTests
{
    private static readonly DateTimeOffset Time = new(2026, 11, 27, 4, 5, 6, 789, TimeSpan.Zero);

    private static readonly (AccessLogEntry Entry, string Line)[] Lines =
    [
        (
            new AccessLogEntry(Time, "GET", "shop.test", "/api/orders", "test/shop#0.0", "test/api:80", "10.0.0.7:8080", 200, 1.23456, 1234, IPAddress.Parse("127.0.0.1"), null, null),
            """{"time":"2026-11-27T04:05:06.789Z","method":"GET","host":"shop.test","path":"/api/orders","route":"test/shop#0.0","cluster":"test/api:80","destination":"10.0.0.7:8080","status":200,"durationMs":1.235,"bytes":1234,"clientIp":"127.0.0.1","rateLimit":null}"""),
        (
            // Not routed: no route, cluster, destination nor client address.
            new AccessLogEntry(Time.AddTicks(9_999), "DELETE", "", null, null, null, null, 404, 0, 0, null, "rejected", "MISS"),
            """{"time":"2026-11-27T04:05:06.789Z","method":"DELETE","host":"","path":null,"route":null,"cluster":null,"destination":null,"status":404,"durationMs":0,"bytes":0,"clientIp":null,"rateLimit":"rejected","cache":"MISS"}"""),
        (
            // What a client controls (host, path) with quotes, backslashes, control characters, HTML-sensitive and non-ASCII characters, an unpaired surrogate.
            new AccessLogEntry(Time, "PUT", "\u00e9x\"a\\mple.test", "/a b/\"q\"/\\/\t\n\u0001<script>&'/\u00fc\u4e2d\ud83d\ude00/\ud800x", "r", "c", "d", 503, 12345.6789, long.MaxValue, IPAddress.Parse("::ffff:10.1.2.3"), "admitted", "HIT"),
            """{"time":"2026-11-27T04:05:06.789Z","method":"PUT","host":"\u00E9x\u0022a\\mple.test","path":"/a b/\u0022q\u0022/\\/\t\n\u0001\u003Cscript\u003E\u0026\u0027/\u00FC\u4E2D\uD83D\uDE00/\uFFFDx","route":"r","cluster":"c","destination":"d","status":503,"durationMs":12345.679,"bytes":9223372036854775807,"clientIp":"::ffff:10.1.2.3","rateLimit":"admitted","cache":"HIT"}"""),
        (
            new AccessLogEntry(Time, "GET", "v6.test", "/", "r", "c", "d", 200, 0.0004, 5, IPAddress.Parse("2001:db8::1"), "fallback", null),
            """{"time":"2026-11-27T04:05:06.789Z","method":"GET","host":"v6.test","path":"/","route":"r","cluster":"c","destination":"d","status":200,"durationMs":0,"bytes":5,"clientIp":"2001:db8::1","rateLimit":"fallback"}"""),
    ];

    public static TheoryData<int> Cases => [.. Enumerable.Range(0, Lines.Length)];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Write_Entry_WritesItsLineExactly(int index)
    {
        var (entry, expected) = Lines[index];
        var output = new AwaitedWriter(expected.Length + 1);
        var writer = NewWriter(output);

        writer.TryWrite(entry);
        await RunUntilWrittenAsync(writer, output);

        Assert.Equal(expected + "\n", output.ToString());
    }

    [Fact]
    public async Task Write_ManyEntries_OneLineEachInOrder()
    {
        var expected = string.Concat(Enumerable.Range(0, 400).Select(i => Lines[i % Lines.Length].Line + "\n"));
        var output = new AwaitedWriter(expected.Length);
        var writer = NewWriter(output);

        // More than one 32 KB batch.
        for (var i = 0; i < 400; i++)
        {
            writer.TryWrite(Lines[i % Lines.Length].Entry);
        }

        await RunUntilWrittenAsync(writer, output);

        Assert.Equal(expected, output.ToString());
    }

    [Fact]
    public async Task Write_ManyEntries_WholeLinesInAFewWritesEachUnderTheLock()
    {
        const int count = 1_000;
        var writeLock = new object();
        var stream = new RecordingStream(writeLock, count * (Lines[0].Line.Length + 1));
        var writer = NewWriter(new AccessLogOutput(stream, writeLock));
        for (var i = 0; i < count; i++)
        {
            writer.TryWrite(Lines[0].Entry);
        }

        await writer.StartAsync(CancellationToken.None);
        await stream.Written.WaitAsync(TimeSpan.FromSeconds(30));
        await writer.StopAsync(CancellationToken.None);

        // About 250 KB of lines in batches of at least 32 KB: a write per batch, not per line or per few hundred characters.
        Assert.Equal(count * (Lines[0].Line.Length + 1), stream.Writes.Sum(w => w.Length));
        Assert.InRange(stream.Writes.Count, 1, 10);
        Assert.All(stream.Writes, w => Assert.EndsWith("}\n", w, StringComparison.Ordinal));
        Assert.False(stream.WroteWithoutTheLock);
    }

    private static AccessLogWriter NewWriter(TextWriter output) => NewWriter(TestAccessLog.Output(output));

    private static AccessLogWriter NewWriter(AccessLogOutput output) => new(
        output,
        new ProxyMetrics(TestMeters.Instance),
        new EdgeIdentity(Options.Create(new EdgeOptions { Id = "test" })),
        Options.Create(new AccessLogOptions()));

    private static async Task RunUntilWrittenAsync(AccessLogWriter writer, AwaitedWriter output)
    {
        await writer.StartAsync(CancellationToken.None);
        await output.Written.WaitAsync(TimeSpan.FromSeconds(30));
        await writer.StopAsync(CancellationToken.None);
    }

    /// <summary>Keeps each write's text and whether the output's lock was held during it; says when it holds the expected length.</summary>
    private sealed class RecordingStream(object writeLock, int expectedLength) : MemoryStream
    {
        private readonly TaskCompletionSource _written = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Written => _written.Task;

        public List<string> Writes { get; } = [];

        public bool WroteWithoutTheLock { get; private set; }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            WroteWithoutTheLock |= !Monitor.IsEntered(writeLock);
            Writes.Add(System.Text.Encoding.UTF8.GetString(buffer));
            if (Writes.Sum(w => w.Length) >= expectedLength)
            {
                _written.TrySetResult();
            }
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
    }

    /// <summary>A string writer that says when it holds the expected number of characters.</summary>
    private sealed class AwaitedWriter(int expectedLength) : StringWriter
    {
        private readonly TaskCompletionSource _written = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Written => _written.Task;

        public override void Write(char value)
        {
            base.Write(value);
            Check();
        }

        public override void Write(char[] buffer, int index, int count)
        {
            base.Write(buffer, index, count);
            Check();
        }

        public override void Write(ReadOnlySpan<char> buffer)
        {
            base.Write(buffer);
            Check();
        }

        public override void Write(string? value)
        {
            base.Write(value);
            Check();
        }

        private void Check()
        {
            if (GetStringBuilder().Length >= expectedLength)
            {
                _written.TrySetResult();
            }
        }
    }
}
