using OpenTelemetry.Metrics;
using Microsoft.AspNetCore.RateLimiting;
using Orleans.Proxy.Edge.AccessLog;
using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Proxy.Edge.Hosting;
using Orleans.Proxy.Hosting.Diagnostics;
using Orleans.Proxy.RateLimiting;

namespace Orleans.Proxy.Edge.RateLimiting;

public static class RateLimitingExtensions
{
    /// <summary>The ASP.NET Core rate limiting policy that routes with a rate limit name.</summary>
    public const string PolicyName = "orleans-proxy-shared";

    private static readonly object DecisionStarted = new();

    /// <summary>Shared (grain-leased) rate limits, as an ASP.NET Core rate limiting policy for YARP routes.</summary>
    public static IHostApplicationBuilder AddSharedRateLimiting(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RateLimitingOptions>().Bind(builder.Configuration.GetSection(RateLimitingOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddMetrics();
        builder.Services.AddSingleton<ClientIpResolver>();
        builder.Services.AddSingleton<IRateLimitLeaseSource, GrainLeaseSource>();
        builder.Services.AddSingleton<RateLimitLeases>();
        builder.Services.AddSingleton<IRateLimitPolicies, ServedRateLimitPolicies>();
        builder.Services.ConfigureOpenTelemetryMeterProvider((_, metrics) => metrics.AddMeter(RateLimitLeases.MeterName));
        builder.Services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.AddPolicy<RateLimitPartitionKey, SharedRateLimiterPolicy>(PolicyName);
        });
        return builder;
    }

    /// <summary>The rate limiting middleware (after routing, so it sees the YARP route), timed for the decision histogram.</summary>
    public static IApplicationBuilder UseSharedRateLimiting(this IApplicationBuilder app)
    {
        var decisions = app.ApplicationServices.GetRequiredService<RateLimitLeases>().Decisions;
        app.Use((context, next) =>
        {
            // Only where a limit applies: Items is a dictionary allocated on first use, which a request without a limit need not pay for.
            if (IsLimited(context))
            {
                context.Items[DecisionStarted] = Stopwatch.GetTimestamp();
            }

            return next(context);
        });
        app.UseRateLimiter();
        // Reached only by admitted requests: what the limiter added to them.
        return app.Use((context, next) =>
        {
            if (IsLimited(context))
            {
                if (context.Items.TryGetValue(DecisionStarted, out var started) && started is long start)
                {
                    decisions.Record(Stopwatch.GetElapsedTime(start).TotalSeconds);
                }

                context.Features.Get<IAccessLogFeature>()?.RateLimit = "admitted";
            }

            return next(context);
        });
    }

    private static bool IsLimited(HttpContext context) => context.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>() is not null;

    /// <summary>/diag/ratelimits (this edge) and /diag/ratelimits/{policy}/{partition} (the shared bucket, from its grain).</summary>
    internal static void MapRateLimitDiagnostics(this IEndpointRouteBuilder diag)
    {
        diag.MapGet("/ratelimits", (RateLimitLeases leases, EdgeIdentity identity) => new
        {
            edgeId = identity.Id,
            degraded = leases.PartitionsInFallback > 0,
            partitions = leases.Partitions,
            partitionsInFallback = leases.PartitionsInFallback,
            knownEdges = leases.KnownEdges,
            grainCalls = leases.GrainCalls,
            settlements = leases.Settlements,
            expirySettlements = leases.ExpirySettlements,
            // No request waits on a grain call: a new partition decides on its allowance.
            requestPathGrainCalls = 0,
            leaseAdmitted = leases.LeaseAdmitted,
            localAdmitted = leases.LocalAdmitted,
            unsettled = leases.Unsettled,
            fallbackAdmitted = leases.FallbackAdmitted,
            rejected = leases.Rejected,
            fallback = leases.Live.Where(l => l.InFallback).Select(l => l.GrainKey).Order(StringComparer.Ordinal).Take(100),
        });

        // Policy ids are "namespace/name/kind"; the partition is the rest (route ids contain '#', escape it as %23).
        diag.MapGet("/ratelimits/{ns}/{name}/{kind}/{**partition}", async (string ns, string name, string kind, string? partition, RateLimitLeases leases, IRateLimitPolicies policies, IGrainFactory grains) =>
        {
            if (policies.Find($"{ns}/{name}/{kind}") is not { } spec)
            {
                return Results.NotFound(new { error = $"no route this edge serves has the rate-limit policy {ns}/{name}/{kind}" });
            }

            var key = IRateLimitGrain.Key(spec, Uri.UnescapeDataString(partition ?? string.Empty));
            var state = await grains.GetGrain<IRateLimitGrain>(key).GetState();
            var local = leases.Live.FirstOrDefault(l => l.GrainKey == key)?.Snapshot();
            return Results.Ok(new
            {
                key,
                bucket = state,
                thisEdge = local is { } s ? new { tokens = s.Tokens, credit = s.Credit, unsettled = s.Unsettled, fallback = s.Fallback, edgesSharing = s.Edges, recentRate = s.RecentRate } : null,
            });
        });
    }
}
