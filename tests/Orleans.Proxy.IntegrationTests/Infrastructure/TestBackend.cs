using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Orleans.Proxy.IntegrationTests.Infrastructure;

/// <summary>
/// A real Kestrel backend on 127.0.0.1 that answers with its name and counts requests (in total and
/// per path). It reports the protocol and scheme it was reached with in X-Backend-Protocol /
/// X-Backend-Scheme, records the request target exactly as it arrived (<see cref="RawTargets"/>),
/// and waits ?delay-ms=N before answering.
/// </summary>
internal sealed class TestBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _byPath = new(StringComparer.Ordinal);
    private int _requests;
    private volatile bool _sick;
    private bool _disposed;

    private TestBackend(string name, WebApplication app)
    {
        Name = name;
        _app = app;
    }

    public string Name { get; }

    public int Port { get; private set; }

    public int Requests => Volatile.Read(ref _requests);

    /// <summary>"METHOD /path" of every request received.</summary>
    public ConcurrentQueue<string> Seen { get; } = new();

    /// <summary>The request headers of every request received (a repeated header's values comma-joined).</summary>
    public ConcurrentQueue<IReadOnlyDictionary<string, string>> SeenHeaders { get; } = new();

    /// <summary>
    /// For requests with ?read-body=1, which the backend reads to the end before it answers: "/path complete N" when the
    /// body arrived whole (N bytes), "/path aborted after N" when it was cut short.
    /// </summary>
    public ConcurrentQueue<string> Bodies { get; } = new();

    /// <summary>The request target of every request, byte for byte as it arrived (before Kestrel decodes the path).</summary>
    public ConcurrentQueue<string> RawTargets { get; } = new();

    /// <summary>While true, every path (health checks included) answers 503.</summary>
    public bool Sick
    {
        get => _sick;
        set => _sick = value;
    }

    public int RequestsTo(string path) => _byPath.GetValueOrDefault(path);

    /// <summary>Requests to any path but <paramref name="path"/> (e.g. all but the health checks).</summary>
    public int RequestsExcept(string path) => Requests - RequestsTo(path);

    /// <summary>"127.0.0.1:port", the form the converter gives destination ids.</summary>
    public string Endpoint => $"127.0.0.1:{Port}";

    /// <param name="protocols">HTTP/1.1 by default; Http2 for a cleartext HTTP/2 (prior knowledge) backend.</param>
    /// <param name="certificate">When set, the backend speaks TLS with it.</param>
    public static async Task<TestBackend> StartAsync(string name, int port = 0, HttpProtocols protocols = HttpProtocols.Http1, X509Certificate2? certificate = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, listen =>
        {
            listen.Protocols = protocols;
            if (certificate is not null)
            {
                listen.UseHttps(certificate);
            }
        }));
        var app = builder.Build();
        var backend = new TestBackend(name, app);
        app.Run(async context =>
        {
            Interlocked.Increment(ref backend._requests);
            backend.Seen.Enqueue($"{context.Request.Method} {context.Request.Path}");
            backend.SeenHeaders.Enqueue(context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase));
            backend.RawTargets.Enqueue(context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget ?? "");
            backend._byPath.AddOrUpdate(context.Request.Path.Value ?? "/", 1, (_, n) => n + 1);
            context.Response.Headers["X-Backend"] = name;
            context.Response.Headers["X-Seen-Traceparent"] = context.Request.Headers["traceparent"];
            context.Response.Headers["X-Backend-Protocol"] = context.Request.Protocol;
            context.Response.Headers["X-Backend-Scheme"] = context.Request.Scheme;
            if (context.Request.Query.ContainsKey("read-body") && !await ReadBodyAsync(context, backend.Bodies))
            {
                return;
            }

            if (backend._sick)
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            }

            if (int.TryParse(context.Request.Query["delay-ms"], NumberStyles.None, CultureInfo.InvariantCulture, out var delay))
            {
                await Task.Delay(delay, context.RequestAborted);
            }

            await context.Response.WriteAsync($"{name} {context.Request.Host} {context.Request.Path}{context.Request.QueryString}");
        });
        await app.StartAsync();
        backend.Port = new Uri(app.Urls.First()).Port;
        return backend;
    }

    /// <summary>Reads the request body to the end, however slowly it comes (the proxy in front decides how slow is too slow).</summary>
    private static async Task<bool> ReadBodyAsync(HttpContext context, ConcurrentQueue<string> bodies)
    {
        var rate = context.Features.Get<IHttpMinRequestBodyDataRateFeature>();
        if (rate is not null)
        {
            rate.MinDataRate = null;
        }

        var buffer = new byte[4096];
        long read = 0;
        try
        {
            int n;
            while ((n = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
            {
                read += n;
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or Microsoft.AspNetCore.Http.BadHttpRequestException)
        {
            bodies.Enqueue($"{context.Request.Path} aborted after {read}");
            return false;
        }

        bodies.Enqueue($"{context.Request.Path} complete {read}");
        return true;
    }

    /// <summary>Stops listening (a killed backend: connections are refused). Safe to call twice.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
