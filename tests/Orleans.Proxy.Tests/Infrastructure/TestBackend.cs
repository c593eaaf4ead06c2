using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Orleans.Proxy.Tests.Infrastructure;

/// <summary>A real Kestrel backend on 127.0.0.1 that answers with its name and counts requests (in total and per path).</summary>
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
            backend._byPath.AddOrUpdate(context.Request.Path.Value ?? "/", 1, (_, n) => n + 1);
            context.Response.Headers["X-Backend"] = name;
            if (backend._sick)
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            }

            await context.Response.WriteAsync($"{name} {context.Request.Host} {context.Request.Path}{context.Request.QueryString}");
        });
        await app.StartAsync();
        backend.Port = new Uri(app.Urls.First()).Port;
        return backend;
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
