using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Orleans.Proxy.IntegrationTests.Caching;

/// <summary>What the backend answers on a path: status, headers and a body that carries a version (bump it to see who fetched).</summary>
internal sealed record CannedResponse(int Status, IReadOnlyDictionary<string, string> Headers, string Body = "v1")
{
    /// <summary>How long the backend waits before answering (to keep fetches in flight while others arrive).</summary>
    public int DelayMs { get; init; }
}

/// <summary>
/// A Kestrel backend on 127.0.0.1 whose answers tests set per path, counting requests per path and
/// keeping the headers of the last one. It answers 304 to a conditional request whose If-None-Match
/// names its ETag, and 503 to everything while <see cref="Failing"/>.
/// </summary>
internal sealed class CacheBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, CannedResponse> _responses = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _requests = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, IHeaderDictionary> _lastHeaders = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _notModified = new(StringComparer.Ordinal);
    private bool _disposed;

    private CacheBackend(WebApplication app) => _app = app;

    public int Port { get; private set; }

    public volatile bool Failing;

    public static async Task<CacheBackend> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var backend = new CacheBackend(app);
        app.Run(backend.AnswerAsync);
        await app.StartAsync();
        backend.Port = new Uri(app.Urls.First()).Port;
        return backend;
    }

    public void Set(string path, CannedResponse response) => _responses[path] = response;

    public int Requests(string path) => _requests.GetValueOrDefault(path);

    public int NotModifiedAnswers(string path) => _notModified.GetValueOrDefault(path);

    public IHeaderDictionary? LastRequestHeaders(string path) => _lastHeaders.GetValueOrDefault(path);

    private async Task AnswerAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        _requests.AddOrUpdate(path, 1, (_, n) => n + 1);
        _lastHeaders[path] = new HeaderDictionary(context.Request.Headers.ToDictionary(h => h.Key, h => h.Value, StringComparer.OrdinalIgnoreCase));
        if (Failing)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            await context.Response.WriteAsync("backend failing");
            return;
        }

        var canned = _responses.GetValueOrDefault(path) ?? new CannedResponse(200, new Dictionary<string, string>(), "default");
        if (canned.DelayMs > 0)
        {
            await Task.Delay(canned.DelayMs, context.RequestAborted);
        }

        foreach (var (name, value) in canned.Headers)
        {
            context.Response.Headers.Append(name, value);
        }

        if (canned.Headers.TryGetValue("ETag", out var etag) && context.Request.Headers.IfNoneMatch.ToString() == etag)
        {
            _notModified.AddOrUpdate(path, 1, (_, n) => n + 1);
            context.Response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        context.Response.StatusCode = canned.Status;
        await context.Response.WriteAsync(canned.Body);
    }

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
