using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Orleans.Proxy.Hosting.Diagnostics;

// Extension points of the diagnostics API. A feature adds its data with one registration call;
// rows are flat (column name to a string, number, bool, date or null) so the JSON answer and the
// command-line client's tables need no code of their own for it.

/// <summary>Adds a section (a table) to /diag/cluster/backends/{id}, e.g. "health": one row per destination.</summary>
internal interface IBackendDiagnostics
{
    string Section { get; }

    Task<IReadOnlyList<IReadOnlyDictionary<string, object?>>> DescribeAsync(string clusterId, CancellationToken cancellationToken);
}

/// <summary>
/// A view of its own at /diag/cluster/views/{Name}?key=value..., e.g. "ratelimits" (partitions,
/// tokens, leases per edge) or "affinity" (?cluster=..&amp;key=..): the query string is passed through.
/// </summary>
internal interface IClusterDiagnosticsView
{
    string Name { get; }

    Task<IReadOnlyList<IReadOnlyDictionary<string, object?>>> QueryAsync(IQueryCollection query, CancellationToken cancellationToken);
}

/// <summary>Adds a section to the edge's /diag/edge, e.g. "ratelimit": whether the local fallback bucket is in use.</summary>
public interface IEdgeDiagnostics
{
    string Section { get; }

    IReadOnlyList<IReadOnlyDictionary<string, object?>> Describe();
}

/// <summary>Adds a section to /diag/explain for the matched route and cluster, e.g. the rate-limit policy or affinity key that applies.</summary>
public interface IExplainDiagnostics
{
    string Section { get; }

    IReadOnlyList<IReadOnlyDictionary<string, object?>> Explain(HttpContext request, string? routeId, string? clusterId);
}

internal static class DiagnosticsSectionRegistration
{
    public static IServiceCollection AddBackendDiagnosticsSection<T>(this IServiceCollection services) where T : class, IBackendDiagnostics
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IBackendDiagnostics, T>());
        return services;
    }

    public static IServiceCollection AddClusterDiagnosticsView<T>(this IServiceCollection services) where T : class, IClusterDiagnosticsView
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IClusterDiagnosticsView, T>());
        return services;
    }

    public static IServiceCollection AddEdgeDiagnosticsSection<T>(this IServiceCollection services) where T : class, IEdgeDiagnostics
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IEdgeDiagnostics, T>());
        return services;
    }

    public static IServiceCollection AddExplainDiagnosticsSection<T>(this IServiceCollection services) where T : class, IExplainDiagnostics
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IExplainDiagnostics, T>());
        return services;
    }
}
