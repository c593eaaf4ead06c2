namespace Orleans.Proxy.Silo.Routing;

/// <summary>The annotation names this controller reads.</summary>
internal static class Annotations
{
    public const string Prefix = "orleans-proxy.io/";

    /// <summary>"Name=value, Name2=value2": every header must match.</summary>
    public const string MatchHeaders = Prefix + "match-headers";

    /// <summary>"name=value, name2=value2": every query parameter must match.</summary>
    public const string MatchQuery = Prefix + "match-query";

    // Health checks and session affinity. Health settings belong to the backend (Service port) of the
    // Ingress's paths; affinity to its routes.

    /// <summary>HTTP path to probe; setting it turns active health checks on.</summary>
    public const string HealthCheckPath = Prefix + "health-check-path";
    public const string HealthCheckInterval = Prefix + "health-check-interval";
    public const string HealthCheckTimeout = Prefix + "health-check-timeout";
    public const string HealthCheckHealthyThreshold = Prefix + "health-check-healthy-threshold";
    public const string HealthCheckUnhealthyThreshold = Prefix + "health-check-unhealthy-threshold";

    /// <summary>"true": passive health on with defaults; any other passive-health-* setting also turns it on.</summary>
    public const string PassiveHealth = Prefix + "passive-health";
    public const string PassiveHealth5xx = Prefix + "passive-health-5xx";
    public const string PassiveHealthFailureRate = Prefix + "passive-health-failure-rate";
    public const string PassiveHealthMinRequests = Prefix + "passive-health-min-requests";
    public const string PassiveHealthWindow = Prefix + "passive-health-window";
    public const string PassiveHealthReactivation = Prefix + "passive-health-reactivation-period";

    /// <summary>"cookie", "header:NAME" or "client-ip".</summary>
    public const string Affinity = Prefix + "affinity";
    public const string AffinityCookieName = Prefix + "affinity-cookie-name";
    public const string AffinityTtl = Prefix + "affinity-ttl";

    /// <summary>ingress-nginx names read as the same settings (ours win when both are set).</summary>
    public const string NginxPrefix = "nginx.ingress.kubernetes.io/";
    public const string NginxAffinity = NginxPrefix + "affinity";
    public const string NginxSessionCookieName = NginxPrefix + "session-cookie-name";
    public const string NginxSessionCookieMaxAge = NginxPrefix + "session-cookie-max-age";
    public const string NginxUpstreamHashBy = NginxPrefix + "upstream-hash-by";

    /// <summary>Every name under <see cref="Prefix"/> the converter understands; anything else is reported.</summary>
    public static readonly IReadOnlySet<string> Known = new HashSet<string>(StringComparer.Ordinal)
    {
        MatchHeaders,
        MatchQuery,
        HealthCheckPath,
        HealthCheckInterval,
        HealthCheckTimeout,
        HealthCheckHealthyThreshold,
        HealthCheckUnhealthyThreshold,
        PassiveHealth,
        PassiveHealth5xx,
        PassiveHealthFailureRate,
        PassiveHealthMinRequests,
        PassiveHealthWindow,
        PassiveHealthReactivation,
        Affinity,
        AffinityCookieName,
        AffinityTtl,
    };
}
