using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Orleans.Proxy.Tests.Infrastructure;

/// <summary>
/// A real Kestrel backend on 127.0.0.1 that answers with its name and counts requests. It reports the
/// protocol and scheme it was reached with in X-Backend-Protocol / X-Backend-Scheme, and waits
/// ?delay-ms=N before answering.
/// </summary>
internal sealed class TestBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;

    private TestBackend(string name, WebApplication app)
    {
        Name = name;
        _app = app;
    }

    public string Name { get; }

    public int Port { get; private set; }

    public int Requests => Volatile.Read(ref _requests);

    /// <summary>"METHOD /path" of every request received.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Seen { get; } = new();

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
            context.Response.Headers["X-Backend"] = name;
            context.Response.Headers["X-Seen-Traceparent"] = context.Request.Headers["traceparent"];
            context.Response.Headers["X-Backend-Protocol"] = context.Request.Protocol;
            context.Response.Headers["X-Backend-Scheme"] = context.Request.Scheme;
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

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
