using Microsoft.Extensions.Logging;

namespace Orleans.Proxy.Health;

/// <summary>The backend grain's health log lines.</summary>
internal static partial class BackendHealthLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Backend {ClusterId}: destination {DestinationId} is now {State} (probe: {Outcome})")]
    public static partial void ProbeVerdict(this ILogger logger, string clusterId, string destinationId, ProbeState state, string outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Backend {ClusterId}: destination {DestinationId} ejected for {Period} (cluster-wide failure rate over the threshold)")]
    public static partial void Ejected(this ILogger logger, string clusterId, string destinationId, TimeSpan period);

    [LoggerMessage(Level = LogLevel.Information, Message = "Backend {ClusterId}: unavailable destinations now [{Unavailable}], pushed to {Observers} edges")]
    public static partial void VerdictPushed(this ILogger logger, string clusterId, string unavailable, int observers);
}
