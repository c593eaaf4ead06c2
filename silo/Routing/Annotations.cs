namespace Orleans.Proxy.Silo.Routing;

/// <summary>The annotation names this controller reads.</summary>
internal static class Annotations
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

    /// <summary>ingress-nginx names, read with ingress-nginx's meaning (not under our prefix).</summary>
    public const string NginxLimitRps = "nginx.ingress.kubernetes.io/limit-rps";

    public const string NginxLimitRpm = "nginx.ingress.kubernetes.io/limit-rpm";

    public const string NginxLimitBurstMultiplier = "nginx.ingress.kubernetes.io/limit-burst-multiplier";

    public const string NginxLimitWhitelist = "nginx.ingress.kubernetes.io/limit-whitelist";

    /// <summary>Every name under <see cref="Prefix"/> the converter understands; anything else is reported.</summary>
    // ingress-nginx compatibility (NginxAnnotations.cs): the subset users rely on most.
    public const string NginxPrefix = "nginx.ingress.kubernetes.io/";
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
        // ingress-nginx compatibility.
        NginxRewriteTarget, NginxUseRegex, NginxSslRedirect, NginxForceSslRedirect, NginxWhitelistSourceRange,
        NginxDenylistSourceRange, NginxProxyConnectTimeout, NginxProxyReadTimeout, NginxProxySendTimeout,
        NginxProxyBodySize, NginxBackendProtocol, NginxCanary, NginxCanaryWeight, NginxCanaryByHeader,
        NginxCanaryByHeaderValue, NginxCanaryByCookie, NginxPermanentRedirect, NginxAppRoot,
        // ingress-nginx names read by the rate-limit and affinity features.
        NginxPrefix + "limit-rps", NginxPrefix + "limit-rpm", NginxPrefix + "limit-burst-multiplier", NginxPrefix + "limit-whitelist",
        NginxPrefix + "affinity", NginxPrefix + "session-cookie-name", NginxPrefix + "session-cookie-max-age", NginxPrefix + "upstream-hash-by",
    };
}
