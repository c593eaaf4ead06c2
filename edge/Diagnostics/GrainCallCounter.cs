using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.Edge.Diagnostics;

/// <summary>
/// Counts the calls to the proxy's grains made from this process outside any grain (the edge's own
/// calls; in embedded mode also the route source's writes), per interface and method. The hot-path rule says
/// proxied requests make none in the steady state: the benchmark reads this before and after a load.
/// </summary>
internal sealed class GrainCallCounter : IOutgoingGrainCallFilter
{
    private static readonly Assembly ProxyGrains = typeof(IRouteCatalogGrain).Assembly;
    private readonly ConcurrentDictionary<MethodInfo, StrongBox> _calls = new();

    public Task Invoke(IOutgoingGrainCallContext context)
    {
        // Calls a grain makes to another grain, and Orleans' own system calls (membership), are the cluster's business.
        if (context.SourceContext is null && context.InterfaceMethod is { DeclaringType: { } type } method && type.Assembly == ProxyGrains)
        {
            Interlocked.Increment(ref _calls.GetOrAdd(method, _ => new StrongBox()).Value);
        }

        return context.Invoke();
    }

    /// <summary>"Interface.Method" to calls so far.</summary>
    public SortedDictionary<string, long> Snapshot() =>
        new(_calls.ToDictionary(c => $"{c.Key.DeclaringType!.Name}.{c.Key.Name}", c => Interlocked.Read(ref c.Value.Value)), StringComparer.Ordinal);

    private sealed class StrongBox
    {
        public long Value;
    }
}

internal static class GrainCallCounterExtensions
{
    public static IServiceCollection AddGrainCallCounter(this IServiceCollection services)
    {
        // Orleans runs every registered IOutgoingGrainCallFilter; this one is also read by the endpoint.
        services.AddSingleton<GrainCallCounter>();
        return services.AddSingleton<IOutgoingGrainCallFilter>(sp => sp.GetRequiredService<GrainCallCounter>());
    }

    /// <summary>GET /diag/grain-calls: calls per "Interface.Method" since start.</summary>
    public static void MapGrainCallDiagnostics(this RouteGroupBuilder diag) =>
        diag.MapGet("/grain-calls", (GrainCallCounter counter) => counter.Snapshot());
}
