namespace Orleans.Proxy.Edge.AccessLog;

/// <summary>
/// Present on a request whose access log line will be written; features on the request path set
/// what the line should say. Absent when the request is not logged (disabled or sampled out).
/// </summary>
public interface IAccessLogFeature
{
    /// <summary>The rate-limit decision, e.g. "admitted", "rejected" or "fallback" (use constant strings: nothing is copied).</summary>
    string? RateLimit { get; set; }

    /// <summary>How the cache served the request: HIT, MISS, STALE, BYPASS, COLLAPSED or REVALIDATED; null on routes without caching.</summary>
    string? Cache { get; set; }
}
