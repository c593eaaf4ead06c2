using Orleans.Proxy.IntegrationTests.Infrastructure;

using Orleans.Proxy.Testing;

namespace Orleans.Proxy.IntegrationTests.Operations;

/// <summary>Tracing: the trace context reaches the backend through YARP, and spans go to the OTLP endpoint when one is configured.</summary>
public sealed class TracingTests
{
    [Fact]
    public async Task Tracing_OtlpEndpointConfigured_BackendJoinsTheTraceAndSpansAreExported()
    {
        await using var collector = await TestBackend.StartAsync("collector");
        await using var web = await TestBackend.StartAsync("web");
        using var routes = new TempDirectory();
        routes.Write("all.yaml", Manifests.ServiceFor("web", web) + "---\n" + Manifests.Ingress("web", "trace.test", ("/", "Prefix", "web")));
        const string traceId = "0af7651916cd43dd8448eb211c80319c";
        const string clientSpan = "b7ad6b7169203331";
        var edge = await TestEdge.StartEmbeddedAsync(routes.Path, new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{collector.Port}",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        });
        await using (edge)
        {
            await edge.WaitForBackendAsync("trace.test", "/", "web");
            // A client that sends our traceparent as is (this process's own HttpClient instrumentation would replace it).
            using var client = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null }) { BaseAddress = edge.Public.BaseAddress };
            using var request = new HttpRequestMessage(HttpMethod.Get, "/traced");
            request.Headers.Host = "trace.test";
            request.Headers.TryAddWithoutValidation("traceparent", $"00-{traceId}-{clientSpan}-01");
            using var response = await client.SendAsync(request);

            var seen = response.Headers.GetValues("X-Seen-Traceparent").Single().Split('-');
            Assert.Equal(traceId, seen[1]);
            Assert.NotEqual(clientSpan, seen[2]); // the edge's own span is the backend's parent
        }

        // Stopping the edge flushes the exporter.
        Assert.Contains("POST /v1/traces", collector.Seen);
    }
}
