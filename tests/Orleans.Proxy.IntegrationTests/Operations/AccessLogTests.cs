using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Proxy.Edge.AccessLog;
using Orleans.Proxy.IntegrationTests.Infrastructure;

using Orleans.Proxy.Testing;

namespace Orleans.Proxy.IntegrationTests.Operations;

/// <summary>The access log: one JSON line per request, written off the request path.</summary>
public sealed class AccessLogTests
{
    [Fact]
    public async Task AccessLog_KnownRequest_LineHasEveryField()
    {
        await using var api = await TestBackend.StartAsync("api");
        using var routes = new TempDirectory();
        routes.Write("all.yaml", Manifests.ServiceFor("api", api) + "---\n" + Manifests.Ingress("shop", "log.test", ("/api", "Prefix", "api")));
        var output = new CapturingWriter();
        await using var edge = await TestEdge.StartEmbeddedAsync(routes.Path, configureServices: s => s.AddSingleton(TestAccessLog.Output(output)));
        await edge.WaitForBackendAsync("log.test", "/api", "api");

        var before = DateTimeOffset.UtcNow;
        var body = await edge.GetBodyAsync("log.test", "/api/orders?id=7");
        var after = DateTimeOffset.UtcNow;
        Assert.StartsWith("200 api ", body);
        var line = await output.WaitForLineAsync(l => l.GetProperty("path").GetString() == "/api/orders");

        var time = DateTimeOffset.Parse(line.GetProperty("time").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(time, before.AddMilliseconds(-1), after.AddMilliseconds(1));
        Assert.Equal("GET", line.GetProperty("method").GetString());
        Assert.Equal("log.test", line.GetProperty("host").GetString());
        Assert.Equal("test/shop#0.0", line.GetProperty("route").GetString());
        Assert.Equal("test/api:80", line.GetProperty("cluster").GetString());
        Assert.Equal(api.Endpoint, line.GetProperty("destination").GetString());
        Assert.Equal(200, line.GetProperty("status").GetInt32());
        Assert.True(line.GetProperty("durationMs").GetDouble() > 0);
        Assert.Equal(Encoding.UTF8.GetByteCount(body["200 ".Length..]), line.GetProperty("bytes").GetInt64());
        Assert.Equal("127.0.0.1", line.GetProperty("clientIp").GetString());
        Assert.Equal(JsonValueKind.Null, line.GetProperty("rateLimit").ValueKind);

        // A request no route serves is logged too, without route, cluster or destination.
        await edge.GetAsync("nowhere.test", "/x");
        var unrouted = await output.WaitForLineAsync(l => l.GetProperty("host").GetString() == "nowhere.test");
        Assert.Equal(404, unrouted.GetProperty("status").GetInt32());
        Assert.Equal(JsonValueKind.Null, unrouted.GetProperty("route").ValueKind);
        Assert.Equal(JsonValueKind.Null, unrouted.GetProperty("destination").ValueKind);
    }

    [Theory]
    [InlineData("false", "1")]
    [InlineData("true", "0.5")]
    public async Task AccessLog_DisabledOrSampled_LogsNoneOrSome(string enabled, string sampleRate)
    {
        await using var web = await TestBackend.StartAsync("web");
        using var routes = new TempDirectory();
        routes.Write("all.yaml", Manifests.ServiceFor("web", web) + "---\n" + Manifests.Ingress("web", "sample.test", ("/", "Prefix", "web")));
        var output = new CapturingWriter();
        var edge = await TestEdge.StartEmbeddedAsync(routes.Path, new Dictionary<string, string?> { ["AccessLog:Enabled"] = enabled, ["AccessLog:SampleRate"] = sampleRate },
            s => s.AddSingleton(TestAccessLog.Output(output)));
        await using (edge)
        {
            await edge.WaitForBackendAsync("sample.test", "/", "web");
            for (var i = 0; i < 100; i++)
            {
                Assert.StartsWith("200 web ", await edge.GetBodyAsync("sample.test", "/sampled"));
            }
        }

        // Stopping the edge drains the queue, so every line that will be written has been.
        var logged = output.Lines().Count(l => l.GetProperty("path").GetString() == "/sampled");
        if (enabled == "false")
        {
            Assert.Equal(0, logged);
        }
        else
        {
            Assert.InRange(logged, 1, 99);
        }
    }

    [Fact]
    public async Task AccessLog_SettingsOutOfRange_FailsAtStartNamingEveryKey()
    {
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => TestEdge.StartClientAsync(new Dictionary<string, string?>
        {
            ["AccessLog:FlushInterval"] = "00:00:00",
            ["AccessLog:SampleRate"] = "2",
        }));

        Assert.Contains("AccessLog:FlushInterval", e.Message, StringComparison.Ordinal);
        Assert.Contains("AccessLog:SampleRate", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Collects what the access log writes; can hold the writer still to fill the queue.</summary>
    internal sealed class CapturingWriter : TextWriter
    {
        private readonly StringBuilder _text = new();
        private readonly ManualResetEventSlim _running = new(initialState: true);

        public override Encoding Encoding => Encoding.UTF8;

        public void Stall() => _running.Reset();

        public void Resume() => _running.Set();

        public override void Write(char value) => Write(value.ToString());

        public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

        public override void Write(string? value)
        {
            _running.Wait();
            lock (_text)
            {
                _text.Append(value);
            }
        }

        public List<JsonElement> Lines()
        {
            lock (_text)
            {
                return [.. _text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)];
            }
        }

        public async Task<JsonElement> WaitForLineAsync(Func<JsonElement, bool> match)
        {
            JsonElement found = default;
            await Eventually.Until(() =>
            {
                var line = Lines().FirstOrDefault(match);
                found = line;
                return Task.FromResult(line.ValueKind == JsonValueKind.Object);
            }, "the access log line is written");
            return found;
        }
    }
}
