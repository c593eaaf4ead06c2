using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Orleans.Proxy.Edge.Hosting;
using Orleans.Proxy.IntegrationTests.Infrastructure;
using Orleans.Proxy.Testing;
using Xunit.Abstractions;

namespace Orleans.Proxy.IntegrationTests.Reliability;

/// <summary>
/// Malformed and hostile HTTP/1.1, sent byte for byte to a running edge: what the edge answers, and what reached the
/// backends (each records every request target it receives). guarded.test has /admin limited by whitelist-source-range
/// (10.0.0.0/8, which excludes the test's 127.0.0.1) and / open; limited.test allows 5 requests a minute per client IP.
/// Path tricks against /admin are in Matching/PathNormalizationEdgeTests.
/// </summary>
public sealed partial class HostileHttpTests(HostileHttpTests.Bed bed, ITestOutputHelper output) : IClassFixture<HostileHttpTests.Bed>
{
    private const string Guarded = "guarded.test";
    private const string Limited = "limited.test";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    public sealed class Bed : IAsyncLifetime
    {
        private TempDirectory? _routes;

        internal TestEdge Edge { get; private set; } = null!;

        internal TestBackend Admin { get; private set; } = null!;

        internal TestBackend Web { get; private set; } = null!;

        /// <summary>The HTTPS listener (HTTP/1.1 and HTTP/2 by ALPN; the default self-signed certificate, as no Ingress has spec.tls).</summary>
        internal int HttpsPort { get; } = FreePorts.Next();

        public async Task InitializeAsync()
        {
            Admin = await TestBackend.StartAsync("admin");
            Web = await TestBackend.StartAsync("web");
            _routes = new TempDirectory();
            _routes.Write("all.yaml", string.Join("---\n",
                Manifests.ServiceFor(Admin.Name, Admin),
                Manifests.ServiceFor(Web.Name, Web),
                Manifests.IngressWithAnnotations("admin", Guarded,
                    new Dictionary<string, string> { ["nginx.ingress.kubernetes.io/whitelist-source-range"] = "10.0.0.0/8" }, ("/admin", "Prefix", Admin.Name)),
                Manifests.Ingress("guarded-web", Guarded, ("/", "Prefix", Web.Name)),
                Manifests.IngressWithAnnotations("limited", Limited,
                    new Dictionary<string, string> { ["orleans-proxy.io/rate-limit-rpm"] = "5", ["orleans-proxy.io/rate-limit-key"] = "client-ip" }, ("/", "Prefix", Web.Name))));
            // A short header timeout and body grace period, so the slow-header and slow-body tests do not wait Kestrel's 30 s and 5 s.
            Edge = await TestEdge.StartEmbeddedAsync(_routes.Path, new Dictionary<string, string?>
            {
                ["Edge:RequestHeadersTimeout"] = "00:00:01",
                ["Edge:MinRequestBodyGracePeriod"] = "00:00:02",
                ["Edge:HttpsPort"] = $"{HttpsPort}",
            });
            await Edge.WaitForBackendAsync(Guarded, "/", Web.Name);
        }

        public async Task DisposeAsync()
        {
            await Edge.DisposeAsync();
            await Admin.DisposeAsync();
            await Web.DisposeAsync();
            _routes?.Dispose();
        }
    }

    /// <summary>Each: the raw request, and the status of every response the edge must give on that connection.</summary>
    public static TheoryData<string, string, string> Malformed() => new()
    {
        // Smuggling: the edge must not read one request where a backend could read two.
        { "content-length-and-transfer-encoding", "POST / HTTP/1.1\r\nHost: guarded.test\r\nContent-Length: 48\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: guarded.test\r\n\r\n", "400" },
        { "duplicate-content-length", "POST / HTTP/1.1\r\nHost: guarded.test\r\nContent-Length: 5\r\nContent-Length: 44\r\n\r\nhelloGET /admin HTTP/1.1\r\nHost: guarded.test\r\n\r\n", "400" },
        { "content-length-list", "POST / HTTP/1.1\r\nHost: guarded.test\r\nContent-Length: 5, 44\r\n\r\nhello", "400" },
        { "transfer-encoding-not-last-chunked", "POST / HTTP/1.1\r\nHost: guarded.test\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n", "400" },
        { "transfer-encoding-obfuscated", "POST / HTTP/1.1\r\nHost: guarded.test\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", "400" },
        { "transfer-encoding-space-before-colon", "POST / HTTP/1.1\r\nHost: guarded.test\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n", "400" },
        { "obsolete-line-folding", "GET / HTTP/1.1\r\nHost: guarded.test\r\nX-Folded: a\r\n b\r\n\r\n", "400" },
        { "bare-lf-line-ends", "GET /admin HTTP/1.1\nHost: guarded.test\n\n", "400" },
        { "bare-cr-in-header", "GET / HTTP/1.1\r\nHost: guarded.test\r\nX-A: a\rb\r\n\r\n", "400" },
        { "nul-in-header", "GET / HTTP/1.1\r\nHost: guarded.test\r\nX-A: a\0b\r\n\r\n", "400" },

        // Oversized request line and headers (Kestrel's limits: 8 KiB line, 32 KiB of headers).
        { "request-line-16k", $"GET /{new string('a', 16 * 1024)} HTTP/1.1\r\nHost: guarded.test\r\n\r\n", "414" },
        { "one-header-40k", $"GET / HTTP/1.1\r\nHost: guarded.test\r\nX-Big: {new string('a', 40 * 1024)}\r\n\r\n", "431" },
        { "many-headers-40k", $"GET / HTTP/1.1\r\nHost: guarded.test\r\n{string.Concat(Enumerable.Range(0, 400).Select(i => $"X-H{i}: {new string('a', 100)}\r\n"))}\r\n", "431" },

        // Invalid Host headers.
        { "no-host", "GET / HTTP/1.1\r\n\r\n", "400" },
        { "two-hosts", "GET /admin HTTP/1.1\r\nHost: open.test\r\nHost: guarded.test\r\n\r\n", "400" },
        { "host-with-space", "GET / HTTP/1.1\r\nHost: guarded .test\r\n\r\n", "400" },
        { "host-with-userinfo", "GET / HTTP/1.1\r\nHost: user@guarded.test\r\n\r\n", "400" },
        { "host-with-path", "GET / HTTP/1.1\r\nHost: guarded.test/admin\r\n\r\n", "400" },
        { "absolute-form-other-host", "GET http://guarded.test/admin HTTP/1.1\r\nHost: open.test\r\n\r\n", "400" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task Edge_MalformedRequest_RefusedAndNothingReachesABackend(string name, string request, string statuses)
    {
        var before = (bed.Admin.Requests, bed.Web.Requests);

        var answer = await RawHttp.ExchangeAsync(bed.Edge.PublicEndpoint, request, Wait);

        Assert.True(string.Join(",", Statuses(answer)) == statuses, $"{name}: the edge answered\n{Head(answer)}");
        Assert.Equal(before, (bed.Admin.Requests, bed.Web.Requests));
    }

    [Fact]
    public async Task Edge_SmuggledRequestAfterAValidBody_MatchedAsItsOwnRequestAndRefused()
    {
        // A body framed by Content-Length, then a pipelined request for /admin: the edge reads it as a request of its own and its rule refuses it.
        var before = bed.Web.Requests;
        var request = "POST / HTTP/1.1\r\nHost: guarded.test\r\nContent-Length: 5\r\n\r\nhelloGET /admin HTTP/1.1\r\nHost: guarded.test\r\nConnection: close\r\n\r\n";

        var answer = await RawHttp.ExchangeAsync(bed.Edge.PublicEndpoint, request, Wait);

        Assert.Equal(["200", "403"], Statuses(answer));
        Assert.Equal(before + 1, bed.Web.Requests);
        Assert.DoesNotContain(bed.Web.Seen, s => s.Contains("/admin", StringComparison.Ordinal));
        Assert.Equal(0, bed.Admin.Requests);
    }

    [Fact]
    public async Task Edge_MalformedChunkedBody_Answers400()
    {
        // Bodies stream (they are not buffered): the backend may see the request start, then its body aborted; never a second request.
        var answer = await RawHttp.ExchangeAsync(bed.Edge.PublicEndpoint,
            "POST / HTTP/1.1\r\nHost: guarded.test\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF\r\nGET /admin HTTP/1.1\r\nHost: guarded.test\r\n\r\n", Wait);

        Assert.Equal(["400"], Statuses(answer));
        Assert.DoesNotContain(bed.Web.Seen, s => s.Contains("/admin", StringComparison.Ordinal));
        Assert.Equal(0, bed.Admin.Requests);
    }

    [Fact]
    public async Task Edge_SlowHeaders_ConnectionClosedByTheHeaderTimeout()
    {
        using var client = new TcpClient();
        await client.ConnectAsync(bed.Edge.PublicEndpoint);
        await using var stream = client.GetStream();
        await stream.WriteAsync("GET / HTTP/1.1\r\nHost: guarded.test\r\nX-Slow: "u8.ToArray());

        // Nothing more is sent: the edge must close the connection (after a 408) rather than hold it for the client.
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var received = new MemoryStream();
        var buffer = new byte[1024];
        int read;
        while ((read = await stream.ReadAsync(buffer, guard.Token)) > 0)
        {
            received.Write(buffer, 0, read);
        }

        Assert.False(guard.IsCancellationRequested);
        var answer = System.Text.Encoding.Latin1.GetString(received.ToArray());
        Assert.True(answer.Length == 0 || answer.StartsWith("HTTP/1.1 408", StringComparison.Ordinal), answer);
    }

    [Fact]
    public async Task Edge_SlowBody_CutByTheMinimumRate_OthersServedMeanwhile_BackendSeesTheBodyAborted()
    {
        var path = $"/slow-body-{Guid.NewGuid():N}";
        const int declared = 100_000;
        using var client = new TcpClient();
        await client.ConnectAsync(bed.Edge.PublicEndpoint);
        await using var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"POST {path}?read-body=1 HTTP/1.1\r\nHost: guarded.test\r\nContent-Length: {declared}\r\n\r\n"));

        // A byte every 100 ms (about 10 bytes/s, far below the edge's 240 bytes/s) until the edge stops listening.
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var answer = ReadUntilClosedAsync(stream, guard.Token);
        var sent = 0;
        string? meanwhile = null;
        while (!answer.IsCompleted && sent < declared && !guard.IsCancellationRequested)
        {
            try
            {
                await stream.WriteAsync("x"u8.ToArray());
            }
            catch (IOException)
            {
                break;
            }

            if (++sent == 10)
            {
                // Another client, while the slow one holds its connection and its request.
                meanwhile = await bed.Edge.GetBodyAsync(Guarded, "/");
            }

            await Task.WhenAny(answer, Task.Delay(100));
        }

        var text = await answer;
        Assert.False(guard.IsCancellationRequested, $"the edge still held the slow body after {sent} bytes");
        Assert.True(text.Length == 0 || text.StartsWith("HTTP/1.1 408 ", StringComparison.Ordinal), Head(text));
        Assert.StartsWith("200 web guarded.test /", meanwhile);
        // The backend saw the request start and its body cut short: never a request with a complete body.
        await Eventually.Until(() => Task.FromResult(bed.Web.Bodies.Any(b => b.StartsWith($"{path} ", StringComparison.Ordinal))), "the backend saw the body end");
        Assert.Equal([$"{path} aborted"], bed.Web.Bodies.Where(b => b.StartsWith($"{path} ", StringComparison.Ordinal)).Select(b => b[..(path.Length + 8)]));
    }

    [Fact]
    public async Task Edge_Http2RapidReset_BackendSeesFew_ConnectionClosedOrStillAnswering_OthersServed()
    {
        // CVE-2023-44487: each request opened and cancelled at once, thousands on one connection. The edge serves HTTP/2 over
        // TLS only (the cleartext listener refuses the preface, below), so the frames go over TLS with ALPN h2.
        const int streams = 5_000;
        const int batch = 100;
        var before = bed.Web.Requests;
        using var client = new TcpClient { NoDelay = true };
        await using var stream = await OpenHttp2Async(client);
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var live = Channel.CreateUnbounded<Http2Frames.Frame>();
        var reading = ReadFramesAsync(stream, guard.Token, live.Writer);
        var frames = new MemoryStream();
        frames.Write(Http2Frames.Preface);
        Http2Frames.WriteSettings(frames);
        var sent = 0;
        try
        {
            await stream.WriteAsync(frames.ToArray());
            while (sent < streams && !reading.IsCompleted)
            {
                frames.SetLength(0);
                for (var i = 0; i < batch; i++)
                {
                    var id = (2 * (sent + i)) + 1;
                    Http2Frames.WriteGet(frames, id, Guarded, "/rapid-reset");
                    Http2Frames.WriteRstStream(frames, id, Http2Frames.Cancel);
                }

                await stream.WriteAsync(frames.GetBuffer().AsMemory(0, (int)frames.Length));
                sent += batch;
            }
        }
        catch (IOException)
        {
            // The edge closed the connection under the burst.
        }

        // A connection still open after the burst must still be served: a PING sent after every frame of the burst is answered.
        var answering = false;
        if (!reading.IsCompleted)
        {
            try
            {
                frames.SetLength(0);
                Http2Frames.WritePing(frames, streams);
                await stream.WriteAsync(frames.GetBuffer().AsMemory(0, (int)frames.Length), guard.Token);
                answering = await WaitForPingAckAsync(live.Reader, streams, guard.Token);
            }
            catch (IOException)
            {
                // Closed meanwhile.
            }

            client.Close();
        }

        var (received, end) = await reading;
        end = answering ? "open and answering" : end;
        var goAway = received.LastOrDefault(f => f.Type == Http2Frames.GoAway);
        var reached = bed.Web.Requests - before;
        output.WriteLine($"sent {sent} of {streams} HEADERS+RST_STREAM pairs; the edge: {received.Count(f => f.Type == Http2Frames.Headers)} responses, " +
            $"{received.Count(f => f.Type == Http2Frames.RstStream && f.ErrorCode == Http2Frames.EnhanceYourCalm)} RST_STREAM(ENHANCE_YOUR_CALM), " +
            $"GOAWAY {(goAway is null ? "none" : $"last stream {goAway.LastStreamId} error 0x{goAway.ErrorCode:x}")}, connection {end}; backend requests {reached}");

        // Kestrel never runs the application for a stream the client reset before it started, and counts a reset stream against
        // Limits.Http2.MaxStreamsPerConnection until its processing ends. So a machine that keeps up spends only Kestrel's frame
        // handling on the burst and the connection stays open and answering; one that falls behind refuses streams with
        // RST_STREAM(ENHANCE_YOUR_CALM), then closes the connection (GOAWAY, or a reset when its queue of frames to write
        // overflows). Either way nothing is forwarded. The frames are printed, not asserted: after a reset the client's kernel
        // may drop what it had not read yet.
        Assert.True(end is "closed" or "reset" or "open and answering", $"after {sent} streams the connection was {end}");
        Assert.InRange(received.Count(f => f.Type == Http2Frames.Headers), 0, streams / 10);
        Assert.InRange(reached, 0, streams / 10);
        Assert.StartsWith("200 web guarded.test /", await bed.Edge.GetBodyAsync(Guarded, "/"));
        var http2 = await Tls.TlsTerminationTests.GetAsync(bed.HttpsPort, Guarded, HttpVersion.Version20);
        Assert.Equal((HttpStatusCode.OK, "2.0"), (http2.Status, http2.Version));
    }

    /// <summary>True once the ACK of this PING arrives; false when the connection ends first.</summary>
    private static async Task<bool> WaitForPingAckAsync(ChannelReader<Http2Frames.Frame> frames, long opaque, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var frame in frames.ReadAllAsync(cancellationToken))
            {
                if (frame.IsPingAck(opaque))
                {
                    return true;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        return false;
    }

    /// <summary>A TLS connection to the edge's HTTPS listener with ALPN h2 (the edge serves HTTP/2 over TLS only).</summary>
    private async Task<SslStream> OpenHttp2Async(TcpClient client)
    {
        await client.ConnectAsync(IPAddress.Loopback, bed.HttpsPort);
        var stream = new SslStream(client.GetStream());
        await stream.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = Guarded,
            ApplicationProtocols = [SslApplicationProtocol.Http2],
            // The edge's default certificate is self-signed; what is tested is HTTP/2, not the certificate.
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
        });
        Assert.Equal(SslApplicationProtocol.Http2, stream.NegotiatedApplicationProtocol);
        return stream;
    }

    [Fact]
    public async Task Edge_Http2PriorKnowledgeOnTheCleartextListener_RefusedWithHttp11Required()
    {
        using var client = new TcpClient();
        await client.ConnectAsync(bed.Edge.PublicEndpoint);
        await using var stream = client.GetStream();
        var frames = new MemoryStream();
        frames.Write(Http2Frames.Preface);
        Http2Frames.WriteSettings(frames);
        Http2Frames.WriteGet(frames, 1, Guarded, "/");
        await stream.WriteAsync(frames.ToArray());
        using var guard = new CancellationTokenSource(Wait);

        var (received, end) = await ReadFramesAsync(stream, guard.Token);

        var goAway = Assert.Single(received);
        Assert.Equal((Http2Frames.GoAway, 0, Http2Frames.Http11Required), (goAway.Type, goAway.LastStreamId, goAway.ErrorCode));
        Assert.NotEqual("still open", end);
    }

    [Theory]
    [InlineData("Edge:RequestHeadersTimeout", "00:00:00")]
    [InlineData("Edge:KeepAliveTimeout", "-00:00:01")]
    [InlineData("Edge:MinRequestBodyBytesPerSecond", "-1")]
    [InlineData("Edge:MinRequestBodyBytesPerSecond", "NaN")]
    [InlineData("Edge:MinRequestBodyGracePeriod", "00:00:01")]
    public void EdgeOptions_LimitOutOfRange_RefusedAtStartNamingTheKey(string key, string value)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { [key] = value });

        var refused = Assert.Throws<OptionsValidationException>(() => builder.AddOrleansProxyEdge());

        Assert.StartsWith($"{key} ", Assert.Single(refused.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Edge_SpoofedForwardedForFromUntrustedPeer_NoSourceRangeBypass()
    {
        string[] spoofs = ["10.0.0.1", "10.1.2.3, 10.0.0.1", "127.0.0.1, 10.9.9.9", "10.0.0.1:443", "[::ffff:10.0.0.1]"];
        var answers = new List<string>();
        foreach (var spoof in spoofs)
        {
            var answer = await RawHttp.ExchangeAsync(bed.Edge.PublicEndpoint,
                $"GET /admin HTTP/1.1\r\nHost: guarded.test\r\nX-Forwarded-For: {spoof}\r\nX-Real-IP: 10.0.0.1\r\nForwarded: for=10.0.0.1\r\nConnection: close\r\n\r\n", Wait);
            answers.Add($"{spoof} {string.Join(",", Statuses(answer))}");
        }

        Assert.Equal(spoofs.Select(s => $"{s} 403"), answers);
        Assert.Equal(0, bed.Admin.Requests);
    }

    [Fact]
    public async Task Edge_SpoofedForwardedForFromUntrustedPeer_NoRateLimitBypass()
    {
        var admitted = 0;
        var refused = 0;
        for (var i = 0; i < 30; i++)
        {
            // A new client address on every request: believed, each would get a bucket of its own.
            using var response = await bed.Edge.GetAsync(Limited, "/", ("X-Forwarded-For", $"192.0.2.{i + 1}"));
            _ = response.StatusCode == HttpStatusCode.OK ? admitted++ : response.StatusCode == HttpStatusCode.TooManyRequests ? refused++ : throw new HttpRequestException($"unexpected {response.StatusCode}");
        }

        // One bucket (the socket's address) of 5 a minute: at most 5, and a sixth if a token refilled meanwhile.
        Assert.InRange(admitted, 1, 6);
        Assert.Equal(30, admitted + refused);
    }

    /// <summary>The frames the edge sends until it closes the connection: "closed", "reset", or "still open" when the guard ran out.</summary>
    /// <summary>Every frame until the connection ends (or the token fires: "still open"), each also passed to <paramref name="live"/>, completed at the end.</summary>
    private static async Task<(List<Http2Frames.Frame> Frames, string End)> ReadFramesAsync(Stream stream, CancellationToken cancellationToken, ChannelWriter<Http2Frames.Frame>? live = null)
    {
        var frames = new List<Http2Frames.Frame>();
        try
        {
            while (await Http2Frames.ReadAsync(stream, cancellationToken) is { } frame)
            {
                frames.Add(frame);
                live?.TryWrite(frame);
            }

            return (frames, "closed");
        }
        catch (IOException)
        {
            return (frames, "reset");
        }
        catch (OperationCanceledException)
        {
            return (frames, "still open");
        }
        finally
        {
            live?.TryComplete();
        }
    }

    /// <summary>All the edge answers until it closes (or resets) the connection.</summary>
    private static async Task<string> ReadUntilClosedAsync(Stream stream, CancellationToken cancellationToken)
    {
        var received = new MemoryStream();
        var buffer = new byte[1024];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            // Reset by the edge, or out of time (the caller checks which).
        }

        return Encoding.Latin1.GetString(received.ToArray());
    }

    private static List<string> Statuses(string answer) =>
        [.. StatusLine().Matches(answer).Select(m => m.Groups[1].Value)];

    private static string Head(string answer) => answer.Length <= 400 ? answer : answer[..400];

    [GeneratedRegex(@"HTTP/1\.1 (\d{3}) ")]
    private static partial Regex StatusLine();
}
