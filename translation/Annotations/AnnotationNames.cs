using Orleans.Proxy.Translation.Ingress;

namespace Orleans.Proxy.Translation.Annotations;

/// <summary>The annotation names this controller reads.</summary>
internal static class AnnotationNames
{
    public const string Prefix = "orleans-proxy.io/";

    /// <summary>"Name=value, Name2=value2": every header must match.</summary>
    public const string MatchHeaders = Prefix + "match-headers";

    /// <summary>"name=value, name2=value2": every query parameter must match.</summary>
    public const string MatchQuery = Prefix + "match-query";

    // Rate limiting: one shared limit across every edge (RateLimitAnnotations).

    /// <summary>Requests per second (a positive integer); set this or rate-limit-rpm.</summary>
    public const string RateLimitRps = Prefix + "rate-limit-rps";

    /// <summary>Requests per minute (a positive integer).</summary>
    public const string RateLimitRpm = Prefix + "rate-limit-rpm";

    /// <summary>Bucket size: requests admitted at once above the steady rate; defaults to one period's permits.</summary>
    public const string RateLimitBurst = Prefix + "rate-limit-burst";

    /// <summary>client-ip (default), header:NAME, route or host.</summary>
    public const string RateLimitKey = Prefix + "rate-limit-key";

    /// <summary>Comma-separated CIDRs or addresses never limited.</summary>
    public const string RateLimitWhitelist = Prefix + "rate-limit-whitelist";

    // Response caching at the edges (CacheAnnotations).

    /// <summary>"true": responses of the Ingress's routes are cached by HTTP's rules (RFC 9111).</summary>
    public const string Cache = Prefix + "cache";

    /// <summary>Freshness for responses that carry none (duration, e.g. 60s); unset: such responses are not stored.</summary>
    public const string CacheDefaultTtl = Prefix + "cache-default-ttl";

    /// <summary>Comma-separated media types or ranges that may be stored (e.g. "text/html, image/*").</summary>
    public const string CacheContentTypes = Prefix + "cache-content-types";

    /// <summary>Largest body stored (e.g. 1m, 512k, bytes).</summary>
    public const string CacheMaxObjectSize = Prefix + "cache-max-object-size";

    /// <summary>Comma-separated request headers always part of the cache key.</summary>
    public const string CacheVaryHeaders = Prefix + "cache-vary-headers";

    /// <summary>How long past freshness a stored response is served when the backend fails, for responses without stale-if-error.</summary>
    public const string CacheStaleIfError = Prefix + "cache-stale-if-error";

    /// <summary>ingress-nginx names, read with ingress-nginx's meaning (not under our prefix).</summary>
    public const string NginxLimitRps = NginxPrefix + "limit-rps";

    public const string NginxLimitRpm = NginxPrefix + "limit-rpm";

    public const string NginxLimitBurstMultiplier = NginxPrefix + "limit-burst-multiplier";

    public const string NginxLimitWhitelist = NginxPrefix + "limit-whitelist";
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

    // ingress-nginx compatibility (NginxAnnotations.cs): the subset users rely on most.
    public const string NginxRewriteTarget = NginxPrefix + "rewrite-target";
    public const string NginxUseRegex = NginxPrefix + "use-regex";
    public const string NginxSslRedirect = NginxPrefix + "ssl-redirect";
    public const string NginxForceSslRedirect = NginxPrefix + "force-ssl-redirect";
    public const string NginxWhitelistSourceRange = NginxPrefix + "whitelist-source-range";
    public const string NginxDenylistSourceRange = NginxPrefix + "denylist-source-range";
    public const string NginxProxyConnectTimeout = NginxPrefix + "proxy-connect-timeout";
    public const string NginxProxyReadTimeout = NginxPrefix + "proxy-read-timeout";
    public const string NginxProxySendTimeout = NginxPrefix + "proxy-send-timeout";
    public const string NginxProxyBodySize = NginxPrefix + "proxy-body-size";
    public const string NginxBackendProtocol = NginxPrefix + "backend-protocol";
    public const string NginxCanary = NginxPrefix + "canary";
    public const string NginxCanaryWeight = NginxPrefix + "canary-weight";
    public const string NginxCanaryByHeader = NginxPrefix + "canary-by-header";
    public const string NginxCanaryByHeaderValue = NginxPrefix + "canary-by-header-value";
    public const string NginxCanaryByCookie = NginxPrefix + "canary-by-cookie";
    public const string NginxPermanentRedirect = NginxPrefix + "permanent-redirect";
    public const string NginxAppRoot = NginxPrefix + "app-root";

    /// <summary>The canary annotations: the only ones a canary Ingress may carry (it inherits the rest from the main Ingress).</summary>
    public static readonly IReadOnlySet<string> NginxCanaryNames = new HashSet<string>(StringComparer.Ordinal)
    {
        NginxCanary, NginxCanaryWeight, NginxCanaryByHeader, NginxCanaryByHeaderValue, NginxCanaryByCookie,
    };

    /// <summary>
    /// Every name under <see cref="Prefix"/> or <see cref="NginxPrefix"/> some feature understands;
    /// any other name under those prefixes is reported.
    /// </summary>
    public static readonly IReadOnlySet<string> Known = new HashSet<string>(StringComparer.Ordinal)
    {
        MatchHeaders,
        MatchQuery,
        RateLimitRps,
        RateLimitRpm,
        RateLimitBurst,
        RateLimitKey,
        RateLimitWhitelist,
        Cache, CacheDefaultTtl, CacheContentTypes, CacheMaxObjectSize, CacheVaryHeaders, CacheStaleIfError,
        // ingress-nginx compatibility.
        NginxRewriteTarget, NginxUseRegex, NginxSslRedirect, NginxForceSslRedirect, NginxWhitelistSourceRange,
        NginxDenylistSourceRange, NginxProxyConnectTimeout, NginxProxyReadTimeout, NginxProxySendTimeout,
        NginxProxyBodySize, NginxBackendProtocol, NginxCanary, NginxCanaryWeight, NginxCanaryByHeader,
        NginxCanaryByHeaderValue, NginxCanaryByCookie, NginxPermanentRedirect, NginxAppRoot,
        // ingress-nginx names read by the rate-limit and affinity features.
        NginxLimitRps, NginxLimitRpm, NginxLimitBurstMultiplier, NginxLimitWhitelist,
        NginxAffinity, NginxSessionCookieName, NginxSessionCookieMaxAge, NginxUpstreamHashBy,
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
