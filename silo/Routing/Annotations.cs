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
    public static readonly IReadOnlySet<string> Known = new HashSet<string>(StringComparer.Ordinal)
    {
        MatchHeaders,
        MatchQuery,
        RateLimitRps,
        RateLimitRpm,
        RateLimitBurst,
        RateLimitKey,
        RateLimitWhitelist,
    };
}
