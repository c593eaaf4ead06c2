using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Proxy.Edge.Routing;
using Orleans.Proxy.Health;
using Orleans.Proxy.Routing;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;

namespace Orleans.Proxy.Edge.Health;

public static class HealthExtensions
{
    /// <summary>Cluster-wide health verdicts applied to YARP, and passive-health reports to the backend grains.</summary>
    public static IServiceCollection AddEdgeHealth(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<HealthOptions>().Bind(configuration.GetSection(HealthOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<BackendHealthCache>();
        services.AddSingleton<IAvailableDestinationsPolicy, VerdictDestinationsPolicy>();
        services.AddSingleton<HealthSync>();
        services.AddHostedService(sp => sp.GetRequiredService<HealthSync>());
        services.AddSingleton<PassiveHealthReporter>();
        services.AddHostedService(sp => sp.GetRequiredService<PassiveHealthReporter>());
        return services;
    }

    /// <summary>Every cluster takes its available destinations from the verdict; YARP's local passive check backs it up where passive health is on.</summary>
    internal static HealthCheckConfig HealthCheckFor(BackendSpec backend) => new()
    {
        AvailableDestinationsPolicy = VerdictDestinationsPolicy.PolicyName,
        Passive = backend.PassiveHealth is { } passive
            ? new PassiveHealthCheckConfig { Enabled = true, ReactivationPeriod = passive.ReactivationPeriod }
            : null,
    };

    /// <summary>GET /diag/backends/{id}: the destinations with this edge's verdict, and the grain's probes and passive counts.</summary>
    internal static void MapBackendDiagnostics(this IEndpointRouteBuilder diag) =>
        diag.MapGet("/backends/{**id}", async (string id, RouteTableCache cache, BackendHealthCache verdicts, IGrainFactory grains) =>
        {
            if (!cache.Current.Backends.TryGetValue(id, out var backend))
            {
                return Results.NotFound(new { error = $"backend '{id}' is not in this edge's routing table (ids look like namespace/service:port)" });
            }

            var hasVerdict = verdicts.TryGet(id, out var verdict, out var receivedAt);
            BackendHealthReport? report = null;
            string? grainError = null;
            if (backend.HealthCheck is not null || backend.PassiveHealth is not null)
            {
                try
                {
                    report = await grains.GetGrain<IBackendHealthGrain>(id).GetHealthReport();
                }
                catch (Exception e)
                {
                    // Diagnostics must answer when the grains cannot: the edge's own view is still shown.
                    grainError = $"{e.GetType().Name}: {e.Message}";
                }
            }

            var byId = report?.Destinations.ToDictionary(d => d.DestinationId, StringComparer.Ordinal);
            return Results.Ok(new
            {
                clusterId = backend.ClusterId,
                version = backend.Version,
                healthCheck = backend.HealthCheck,
                passiveHealth = backend.PassiveHealth,
                verdict = hasVerdict ? new { version = verdict.Version, unavailable = verdict.Unavailable, receivedAt, applied = verdicts.Connected } : null,
                grain = report is null ? null : new { subscribers = report.Subscribers, probeRounds = report.ProbeRounds },
                grainError,
                destinations = backend.Destinations.Select(d =>
                {
                    var health = byId?.GetValueOrDefault(d.Id);
                    return new
                    {
                        id = d.Id,
                        address = d.Address,
                        available = !(hasVerdict && verdict.Unavailable.Contains(d.Id, StringComparer.Ordinal)),
                        active = health?.Active.ToString(),
                        ejectedUntil = health?.EjectedUntil,
                        passive = health is null || backend.PassiveHealth is null ? null : new { requests = health.WindowRequests, failures = health.WindowFailures },
                        recentProbes = health?.RecentProbes.Select(p => new { at = p.At, success = p.Success, outcome = p.Outcome, ms = Math.Round(p.Milliseconds, 1) }),
                    };
                }),
            });
        });
}
