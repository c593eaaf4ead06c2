using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Orleans.Proxy.Hosting.Diagnostics;

/// <summary>
/// Marks connections accepted on the diagnostics listener. The mark is set by Kestrel on the
/// connection, so a client cannot reach /diag through the public listener by forging a Host header.
/// </summary>
public static class DiagnosticsListener
{
    private const string Marker = "orleans-proxy.diagnostics";
    private const string MetricsMarker = "orleans-proxy.metrics";

    public static ListenOptions MarkAsDiagnostics(this ListenOptions listen)
    {
        listen.Use(next => connection =>
        {
            connection.Items[Marker] = true;
            return next(connection);
        });
        return listen;
    }

    /// <summary>Marks connections accepted on the metrics-only listener (Diagnostics:MetricsPort).</summary>
    public static ListenOptions MarkAsMetrics(this ListenOptions listen)
    {
        listen.Use(next => connection =>
        {
            connection.Items[MetricsMarker] = true;
            return next(connection);
        });
        return listen;
    }

    /// <summary>"0.0.0.0", "::", "*", "localhost" or an IP address (for the public and the diagnostics listeners).</summary>
    public static bool TryParseAddress(string text, out IPAddress address)
    {
        switch (text)
        {
            case "*":
                address = IPAddress.Any;
                return true;
            case "localhost":
                address = IPAddress.Loopback;
                return true;
            default:
                return IPAddress.TryParse(text, out address!);
        }
    }

    public static bool IsDiagnosticsConnection(this HttpContext context) =>
        context.Features.Get<IConnectionItemsFeature>()?.Items.ContainsKey(Marker) == true;

    public static bool IsMetricsConnection(this HttpContext context) =>
        context.Features.Get<IConnectionItemsFeature>()?.Items.ContainsKey(MetricsMarker) == true;
}
