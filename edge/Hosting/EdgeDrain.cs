using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Orleans.Proxy.Edge.Hosting;

/// <summary>
/// Leaving without dropping a request. When the host stops (SIGTERM), before any service stops,
/// /health/ready answers 503 at once and the edge keeps serving, new connections included, for
/// Edge:DrainPeriod, the time a load balancer takes to stop sending it traffic. HTTP/1.1 responses
/// meanwhile carry "Connection: close", so keep-alive clients move to another edge. Then Kestrel
/// stops accepting and waits for the requests in flight (up to Edge:StopTimeout), and the process exits.
/// </summary>
internal sealed partial class EdgeDrain(IOptions<EdgeOptions> options, TimeProvider time, ILogger<EdgeDrain> logger) : IHostedLifecycleService
{
    private volatile bool _draining;

    /// <summary>True from the moment the host began to stop.</summary>
    public bool Draining => _draining;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        _draining = true;
        var period = options.Value.DrainPeriod;
        LogDraining(period);
        try
        {
            await Task.Delay(period, time, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The host's shutdown timeout ran out first: stop now.
        }

        LogDrained();
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping: readiness is now 503; serving on for the drain period of {Period}")]
    private partial void LogDraining(TimeSpan period);

    [LoggerMessage(Level = LogLevel.Information, Message = "Drain period over: no new connections; finishing the requests in flight")]
    private partial void LogDrained();
}

internal static class EdgeDrainExtensions
{
    public static IServiceCollection AddEdgeDrain(this IServiceCollection services, EdgeOptions edge)
    {
        services.AddSingleton<EdgeDrain>();
        services.AddHostedService(sp => sp.GetRequiredService<EdgeDrain>());
        // The host's whole stop (drain, then in-flight requests, then the other services) must fit in its shutdown timeout.
        services.Configure<HostOptions>(host =>
        {
            var needed = edge.DrainPeriod + edge.StopTimeout;
            if (host.ShutdownTimeout < needed)
            {
                host.ShutdownTimeout = needed;
            }
        });
        return services;
    }

    /// <summary>While draining, HTTP/1.x responses close their connection: the client's next request opens one elsewhere.</summary>
    public static IApplicationBuilder UseEdgeDrain(this IApplicationBuilder app)
    {
        var drain = app.ApplicationServices.GetRequiredService<EdgeDrain>();
        return app.Use((context, next) =>
        {
            if (drain.Draining && !HttpProtocol.IsHttp2(context.Request.Protocol) && !HttpProtocol.IsHttp3(context.Request.Protocol))
            {
                context.Response.Headers.Connection = "close";
            }

            return next(context);
        });
    }
}
