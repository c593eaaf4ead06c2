using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Orleans.Proxy.Tests.Infrastructure;

/// <summary>A real Kestrel backend on 127.0.0.1 that answers with its name and counts requests.</summary>
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

    public static async Task<TestBackend> StartAsync(string name, int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var backend = new TestBackend(name, app);
        app.Run(async context =>
        {
            Interlocked.Increment(ref backend._requests);
            backend.Seen.Enqueue($"{context.Request.Method} {context.Request.Path}");
            context.Response.Headers["X-Backend"] = name;
            context.Response.Headers["X-Seen-Traceparent"] = context.Request.Headers["traceparent"];
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
