using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Proxy.Edge.Hosting;
using Orleans.Proxy.Edge.Routing;
using Orleans.Proxy.Health;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Orleans.Proxy.Edge.Health;

/// <summary>
/// Passive health: counts each proxied request's outcome per destination in memory (two
/// interlocked adds), and sends the totals to the backend grains every
/// <see cref="HealthOptions.ReportInterval"/>: one call per backend per interval, never per request.
/// </summary>
internal sealed partial class PassiveHealthReporter(
    IGrainFactory grains,
    RouteTableCache routes,
    EdgeIdentity identity,
    TimeProvider time,
    IOptions<HealthOptions> options,
    ILogger<PassiveHealthReporter> logger) : BackgroundService
{
    private ConcurrentDictionary<(string ClusterId, string DestinationId), Counter> _counts = new();

    /// <summary>The proxy pipeline step; it runs around the rest, so it sees the final outcome.</summary>
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        await next(context);
        var proxy = context.GetReverseProxyFeature();
        if (proxy.ProxiedDestination is not { } destination
            || !routes.Current.Backends.TryGetValue(proxy.Cluster.Config.ClusterId, out var backend)
            || backend.PassiveHealth is not { } spec)
        {
            return;
        }

        var error = context.Features.Get<IForwarderErrorFeature>()?.Error ?? ForwarderError.None;
        var failed = error switch
        {
            ForwarderError.None => spec.Count5xx && context.Response.StatusCode >= 500,
            // The client went away or sent a bad body: nothing to hold against the destination.
            ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled or ForwarderError.RequestBodyClient
                or ForwarderError.ResponseBodyCanceled or ForwarderError.ResponseBodyClient
                or ForwarderError.UpgradeRequestCanceled or ForwarderError.UpgradeRequestClient
                or ForwarderError.UpgradeResponseCanceled or ForwarderError.UpgradeResponseClient => false,
            _ => true,
        };
        Record(backend.ClusterId, destination, failed);
    }

    private void Record(string clusterId, DestinationState destination, bool failed)
    {
        var counter = Volatile.Read(ref _counts).GetOrAdd((clusterId, destination.DestinationId), _ => new Counter());
        Interlocked.Increment(ref counter.Requests);
        if (failed)
        {
            Interlocked.Increment(ref counter.Failures);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ReportInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushAsync();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    internal async Task FlushAsync()
    {
        var counts = Interlocked.Exchange(ref _counts, new());
        var reports = counts
            .Where(c => c.Value.Requests > 0)
            .GroupBy(c => c.Key.ClusterId, StringComparer.Ordinal)
            .Select(g => (ClusterId: g.Key, Counts: g.Select(c => new PassiveCount(c.Key.DestinationId, Volatile.Read(ref c.Value.Requests), Volatile.Read(ref c.Value.Failures))).ToImmutableArray()))
            .ToList();
        foreach (var (clusterId, batch) in reports)
        {
            try
            {
                await grains.GetGrain<IBackendHealthGrain>(clusterId).ReportPassive(identity.Id, batch);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Lost counts are only a delayed verdict; YARP's local passive check still acts on this edge.
                LogReportFailed(clusterId, e.Message);
            }
        }
    }

    private sealed class Counter
    {
        public int Requests;
        public int Failures;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Passive health report for {ClusterId} not delivered: {Reason}")]
    private partial void LogReportFailed(string clusterId, string reason);
}
