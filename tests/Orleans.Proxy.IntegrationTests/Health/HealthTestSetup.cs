using System.Text.Json;
using Orleans.Proxy.IntegrationTests.Infrastructure;

using Orleans.Proxy.Testing;

namespace Orleans.Proxy.IntegrationTests.Health;

/// <summary>Shared shapes for the health and affinity cluster tests.</summary>
internal static class HealthTestSetup
{
    public const string AppHost = "app.test";
    public const string ProbePath = "/healthz";
    public const string ClusterId = $"{Manifests.Namespace}/web:80";

    /// <summary>Service "web" over the backends and an Ingress for <see cref="AppHost"/> with these annotations.</summary>
    public static string Routes(IReadOnlyDictionary<string, string> annotations, params TestBackend[] backends) =>
        Manifests.ServiceFor("web", [.. backends.Select(b => b.Port)]) + "---\n" + Manifests.IngressWithAnnotations("web", AppHost, annotations, ("/", "Prefix", "web"));

    /// <summary>Fast probes for tests: every 250 ms (timeout as long, for a loaded machine), unhealthy after 2 failures.</summary>
    public static Dictionary<string, string> FastProbes() => new()
    {
        ["orleans-proxy.io/health-check-path"] = ProbePath,
        ["orleans-proxy.io/health-check-interval"] = "250ms",
        ["orleans-proxy.io/health-check-timeout"] = "250ms",
        ["orleans-proxy.io/health-check-healthy-threshold"] = "1",
        ["orleans-proxy.io/health-check-unhealthy-threshold"] = "2",
    };

    /// <summary>The destinations this edge's verdict takes out of rotation (empty before any verdict).</summary>
    public static async Task<HashSet<string>> UnavailableOnAsync(TestEdge edge)
    {
        var backend = await edge.DiagAsync($"/diag/backends/{ClusterId}");
        var verdict = backend.GetProperty("verdict");
        return verdict.ValueKind == JsonValueKind.Null
            ? []
            : [.. verdict.GetProperty("unavailable").EnumerateArray().Select(e => e.GetString()!)];
    }

    /// <summary>The backend's destination ids as this edge serves them.</summary>
    public static async Task<int> DestinationCountOnAsync(TestEdge edge)
    {
        var backend = await edge.DiagAsync($"/diag/backends/{ClusterId}");
        return backend.GetProperty("destinations").GetArrayLength();
    }

    /// <summary>The backend name in a proxied answer ("200 name host path").</summary>
    public static async Task<string> BackendFor(TestEdge edge, params (string Name, string Value)[] headers)
    {
        var body = await edge.GetBodyAsync(AppHost, "/", headers);
        Assert.StartsWith("200 ", body);
        return body.Split(' ')[1];
    }
}
