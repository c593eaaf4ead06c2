using System.Net;

namespace Orleans.Proxy.Edge.AccessLog;

/// <summary>One request, as queued for the writer: references to strings the request already holds, formatted off the request path.</summary>
internal readonly record struct AccessLogEntry(
    DateTimeOffset Time,
    string Method,
    string Host,
    string? Path,
    string? Route,
    string? Cluster,
    string? Destination,
    int Status,
    double DurationMs,
    long Bytes,
    IPAddress? ClientIp,
    string? RateLimit,
    string? Cache);
