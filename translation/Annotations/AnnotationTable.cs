using System.Collections.Immutable;
using Orleans.Proxy.Affinity;
using Orleans.Proxy.Health;
using Orleans.Proxy.RateLimiting;
using Orleans.Proxy.Routing;
using static Orleans.Proxy.Translation.Annotations.AnnotationFeature;
using static Orleans.Proxy.Translation.Annotations.AnnotationStatus;

namespace Orleans.Proxy.Translation.Annotations;

/// <summary>
/// Every annotation this controller knows, declared once: ours and ingress-nginx's, with its value
/// type, default, validation, feature, origin and support status. The feature readers read their
/// values through it, <see cref="AnnotationReader.Finish"/> reports what it does not honour, and
/// docs/annotations.md is rendered from it (<see cref="AnnotationReference"/>).
/// </summary>
internal static class AnnotationTable
{
    private const string Ours = AnnotationDefinition.OurPrefix;
    private const string Nginx = AnnotationDefinition.NginxPrefix;

    /// <summary>Longest ingress-nginx timeout accepted, in seconds.</summary>
    public const int MaxTimeoutSeconds = 3600;

    /// <summary>ingress-nginx's default: burst = rate x 5.</summary>
    public const int NginxDefaultBurstMultiplier = 5;

    private const string RefusesCanary = "the canary Ingress is refused";
    private const string WidensAccess = "the Ingress is refused, since serving it without the rule would widen access";
    private const string NoneExempt = "no address is exempt";
    private const string RefusesUnauthenticated = "the Ingress is refused, since serving it without authentication would widen access";

    // Matching (ours).

    public static readonly Annotation<ImmutableArray<(string Name, string Value)>> MatchHeaders = new(Ours + "match-headers", AnnotationTypes.HeaderPairs, Matching)
    {
        Default = [],
        Notes = "Every header must be present with this value (header names compare case-insensitively). A value that does not parse refuses the whole Ingress, since serving it without the match would widen the route.",
    };

    public static readonly Annotation<ImmutableArray<(string Name, string Value)>> MatchQuery = new(Ours + "match-query", AnnotationTypes.QueryPairs, Matching)
    {
        Default = [],
        Notes = "Every query parameter must be present with this value. A value that does not parse refuses the whole Ingress.",
    };

    // Rate limiting (ours): one limit shared by every edge.

    public static readonly Annotation<int> RateLimitRps = new(Ours + "rate-limit-rps", AnnotationTypes.Count(allowZero: false), AnnotationFeature.RateLimiting)
    {
        Describe = "no limit",
        Notes = "Requests per second per key, one limit across every edge replica. Set this or rate-limit-rpm (with both, the per-second limit applies).",
    };

    public static readonly Annotation<int> RateLimitRpm = new(Ours + "rate-limit-rpm", AnnotationTypes.Count(allowZero: false), AnnotationFeature.RateLimiting)
    {
        Describe = "no limit",
        Notes = "Requests per minute per key, one limit across every edge replica.",
    };

    public static readonly Annotation<int> RateLimitBurst = new(Ours + "rate-limit-burst", AnnotationTypes.Count(allowZero: true), AnnotationFeature.RateLimiting)
    {
        Describe = "the rate (one period's requests)",
        Notes = "Bucket size: requests admitted at once above the steady rate. Needs rate-limit-rps or rate-limit-rpm.",
    };

    public static readonly Annotation<(RateLimitKeyKind Kind, string? Header)> RateLimitKey = new(Ours + "rate-limit-key", AnnotationTypes.RateLimitKey, AnnotationFeature.RateLimiting)
    {
        Default = (RateLimitKeyKind.ClientIp, null),
        OnInvalid = "client-ip applies",
        Notes = "What a limit counts per: the client address (socket, or X-Forwarded-For from a trusted proxy), a header's value, the route, or the host. Needs a rate.",
    };

    public static readonly Annotation<ImmutableArray<string>> RateLimitWhitelist = new(Ours + "rate-limit-whitelist", AnnotationTypes.Networks, AnnotationFeature.RateLimiting)
    {
        Default = [],
        OnInvalid = NoneExempt,
        Notes = "Clients never limited. Needs a rate.",
    };

    // Health checks (ours): settings of the backend (Service port); the oldest Ingress that sets them wins.

    public static readonly Annotation<string?> HealthCheckPath = new(Ours + "health-check-path", AnnotationTypes.ProbePathType, HealthChecks)
    {
        Describe = "no active checks",
        Notes = "Path one prober per backend requests on every endpoint; setting it turns active health checks on. The verdict is shared by every edge.",
    };

    public static readonly Annotation<TimeSpan> HealthCheckInterval = new(Ours + "health-check-interval", AnnotationTypes.Duration(TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1)), HealthChecks)
    {
        Default = HealthCheckSpec.DefaultInterval,
        Notes = "Time between probes. Needs health-check-path.",
    };

    public static readonly Annotation<TimeSpan> HealthCheckTimeout = new(Ours + "health-check-timeout", AnnotationTypes.Duration(TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(5)), HealthChecks)
    {
        Default = HealthCheckSpec.DefaultTimeout,
        Notes = "Time a probe may take, at most the interval. Needs health-check-path.",
    };

    public static readonly Annotation<int> HealthCheckHealthyThreshold = new(Ours + "health-check-healthy-threshold", AnnotationTypes.Integer(1, 100), HealthChecks)
    {
        Default = HealthCheckSpec.DefaultHealthyThreshold,
        Notes = "Successful probes in a row that make an endpoint healthy. Needs health-check-path.",
    };

    public static readonly Annotation<int> HealthCheckUnhealthyThreshold = new(Ours + "health-check-unhealthy-threshold", AnnotationTypes.Integer(1, 100), HealthChecks)
    {
        Default = HealthCheckSpec.DefaultUnhealthyThreshold,
        Notes = "Failed probes in a row that make an endpoint unhealthy. Needs health-check-path.",
    };

    // Passive health (ours).

    public static readonly Annotation<bool> PassiveHealth = new(Ours + "passive-health", AnnotationTypes.StrictBool, AnnotationFeature.PassiveHealth)
    {
        Describe = "off, unless another passive-health-* is set",
        Notes = "Edges report failed requests; an endpoint failing too often is taken out cluster-wide. Any other passive-health-* annotation also turns it on; \"false\" turns it off.",
    };

    public static readonly Annotation<bool> PassiveHealth5xx = new(Ours + "passive-health-5xx", AnnotationTypes.StrictBool, AnnotationFeature.PassiveHealth)
    {
        Notes = "Count 5xx responses as failures, not only connection errors and timeouts.",
    };

    public static readonly Annotation<double> PassiveHealthFailureRate = new(Ours + "passive-health-failure-rate", AnnotationTypes.Fraction, AnnotationFeature.PassiveHealth)
    {
        Default = PassiveHealthSpec.DefaultFailureRate,
        Notes = "Share of failed requests in the window above which an endpoint is taken out.",
    };

    public static readonly Annotation<int> PassiveHealthMinRequests = new(Ours + "passive-health-min-requests", AnnotationTypes.Integer(1, 1_000_000), AnnotationFeature.PassiveHealth)
    {
        Default = PassiveHealthSpec.DefaultMinRequests,
        Notes = "Requests in the window before the failure rate counts.",
    };

    public static readonly Annotation<TimeSpan> PassiveHealthWindow = new(Ours + "passive-health-window", AnnotationTypes.Duration(TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)), AnnotationFeature.PassiveHealth)
    {
        Default = PassiveHealthSpec.DefaultWindow,
        Notes = "Window the failure rate is measured over.",
    };

    public static readonly Annotation<TimeSpan> PassiveHealthReactivation = new(Ours + "passive-health-reactivation-period", AnnotationTypes.Duration(TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)), AnnotationFeature.PassiveHealth)
    {
        Default = PassiveHealthSpec.DefaultReactivationPeriod,
        Notes = "Time an endpoint taken out stays out before it gets traffic again.",
    };

    // Affinity (ours): sticky sessions kept by an affinity grain, for any key.

    public static readonly Annotation<(AffinityMode Mode, string Name)> Affinity = new(Ours + "affinity", AnnotationTypes.AffinityKey, AnnotationFeature.Affinity)
    {
        Describe = "none",
        Notes = "Pins each key (a cookie the edge issues, a header's value, or the client address) to one endpoint, the same on every edge; pinned sessions stay when endpoints are added. Wins over ingress-nginx's affinity and upstream-hash-by.",
    };

    public static readonly Annotation<string?> AffinityCookieName = new(Ours + "affinity-cookie-name", AnnotationTypes.CookieName(explained: true), AnnotationFeature.Affinity)
    {
        Default = AffinitySpec.DefaultCookieName,
        Notes = "Name of the affinity cookie. Needs affinity.",
    };

    public static readonly Annotation<TimeSpan> AffinityTtl = new(Ours + "affinity-ttl", AnnotationTypes.Duration(TimeSpan.FromSeconds(1), TimeSpan.FromDays(30)), AnnotationFeature.Affinity)
    {
        Default = AffinitySpec.DefaultTtl,
        Notes = "Idle time after which a pin is forgotten (sliding: each request renews it). Needs affinity.",
    };

    // Response caching (ours): at the edges, by HTTP's rules (RFC 9111).

    public static readonly Annotation<bool> Cache = new(Ours + "cache", AnnotationTypes.StrictBool, AnnotationFeature.Caching)
    {
        OnInvalid = "caching stays off",
        Notes = "\"true\": responses of the Ingress's routes are cached at the edges by HTTP's rules (RFC 9111): in each edge's memory, and shared by every edge. The other cache-* annotations need it.",
    };

    public static readonly Annotation<TimeSpan> CacheDefaultTtl = new(Ours + "cache-default-ttl", AnnotationTypes.Duration(TimeSpan.FromSeconds(1), TimeSpan.FromDays(365)), AnnotationFeature.Caching)
    {
        Describe = "none: responses without freshness are not stored",
        OnInvalid = "ignored",
        Notes = "Freshness for responses that carry none (no Cache-Control max-age or s-maxage, no Expires). Needs cache.",
    };

    public static readonly Annotation<ImmutableArray<string>> CacheContentTypes = new(Ours + "cache-content-types", AnnotationTypes.MediaRanges, AnnotationFeature.Caching)
    {
        Default = [],
        Describe = "any",
        OnInvalid = "the annotation is ignored",
        Notes = "Media types or ranges that may be stored; others pass uncached. Needs cache.",
    };

    public static readonly Annotation<long?> CacheMaxObjectSize = new(Ours + "cache-max-object-size", AnnotationTypes.PositiveSize, AnnotationFeature.Caching)
    {
        Describe = "the edge's Caching:MaxObjectBytes",
        OnInvalid = "the edge's Caching:MaxObjectBytes applies",
        Notes = "Largest body stored; larger responses pass uncached. Needs cache.",
    };

    public static readonly Annotation<ImmutableArray<string>> CacheVaryHeaders = new(Ours + "cache-vary-headers", AnnotationTypes.HeaderNames, AnnotationFeature.Caching)
    {
        Default = [],
        Describe = "none",
        OnInvalid = "the annotation is ignored",
        Notes = "Request headers always part of the cache key, in addition to the response's Vary. Needs cache.",
    };

    public static readonly Annotation<TimeSpan> CacheStaleIfError = new(Ours + "cache-stale-if-error", AnnotationTypes.Duration(TimeSpan.FromSeconds(1), TimeSpan.FromDays(365)), AnnotationFeature.Caching)
    {
        Describe = "none",
        OnInvalid = "ignored",
        Notes = "How long past freshness a stored response is served when the backend fails, for responses without their own stale-if-error. Needs cache.",
    };

    // ingress-nginx: paths and rewrites.

    public static readonly Annotation<string?> NginxRewriteTarget = new(Nginx + "rewrite-target", AnnotationTypes.RewriteTarget, Rewrite, HonouredWithDifferences)
    {
        OnInvalid = "the path is passed unchanged",
        Notes = "The backend receives this path, $1... taken from the path regex's groups; the query string is kept. Implies use-regex. Differences: the paths of this Ingress only become regexes (ingress-nginx makes every path of the host one), written in .NET regex syntax, not PCRE.",
    };

    public static readonly Annotation<bool> NginxUseRegex = new(Nginx + "use-regex", AnnotationTypes.Bool, Matching, HonouredWithDifferences)
    {
        OnInvalid = "ignored",
        Notes = "The paths are case-insensitive regexes anchored at the start, as nginx's \"location ~*\". Differences: only this Ingress's paths (ingress-nginx: every path of the host); .NET regex syntax, 100 ms match timeout.",
    };

    // ingress-nginx: redirects.

    public static readonly Annotation<bool> NginxSslRedirect = new(Nginx + "ssl-redirect", AnnotationTypes.Bool, Redirects, HonouredWithDifferences)
    {
        Describe = "true when the host has TLS",
        OnInvalid = "ignored",
        Notes = "\"false\" stops the 308 redirect of plain HTTP on a host with TLS. Difference: the redirect needs a valid certificate from this Ingress's spec.tls for the host (there is no default certificate to redirect to).",
    };

    public static readonly Annotation<bool> NginxForceSslRedirect = new(Nginx + "force-ssl-redirect", AnnotationTypes.Bool, Redirects)
    {
        OnInvalid = "ignored",
        Notes = "308 redirect of plain HTTP to https even without a certificate here (TLS ends in front of the edge).",
    };

    public static readonly Annotation<string?> NginxPermanentRedirect = new(Nginx + "permanent-redirect", AnnotationTypes.HttpUrl, Redirects)
    {
        OnInvalid = "no redirect",
        Notes = "Every request is answered 301 to this URL.",
    };

    public static readonly Annotation<string?> NginxAppRoot = new(Nginx + "app-root", AnnotationTypes.AppRoot, Redirects)
    {
        OnInvalid = "no redirect",
        Notes = "A request for \"/\" is answered 302 to this path.",
    };

    // ingress-nginx: access control and request limits.

    public static readonly Annotation<ImmutableArray<string>> NginxWhitelistSourceRange = new(Nginx + "whitelist-source-range", AnnotationTypes.Networks, AccessControl)
    {
        Default = [],
        OnInvalid = WidensAccess,
        Notes = "Only clients in these ranges are served; others get 403.",
    };

    public static readonly Annotation<ImmutableArray<string>> NginxDenylistSourceRange = new(Nginx + "denylist-source-range", AnnotationTypes.Networks, AccessControl)
    {
        Default = [],
        OnInvalid = WidensAccess,
        Notes = "Clients in these ranges get 403 (checked before whitelist-source-range).",
    };

    public static readonly Annotation<long?> NginxProxyBodySize = new(Nginx + "proxy-body-size", AnnotationTypes.Size, RequestLimits)
    {
        Describe = "the listener's limit",
        OnInvalid = "the listener's default applies",
        Notes = "Largest request body; larger ones get 413.",
    };

    // ingress-nginx: the backend connection; one setting per backend (Service port), the oldest Ingress's.

    public static readonly Annotation<TimeSpan?> NginxProxyConnectTimeout = new(Nginx + "proxy-connect-timeout", AnnotationTypes.Seconds(MaxTimeoutSeconds), BackendConnection, HonouredWithDifferences)
    {
        Describe = "the edge's default",
        OnInvalid = "the default applies",
        Notes = "Time to connect to an endpoint. Difference: a setting of the backend (Service port), not of the Ingress: when two Ingresses disagree, the oldest one's applies.",
    };

    public static readonly Annotation<TimeSpan?> NginxProxyReadTimeout = new(Nginx + "proxy-read-timeout", AnnotationTypes.Seconds(MaxTimeoutSeconds), BackendConnection, HonouredWithDifferences)
    {
        Describe = "the edge's default",
        OnInvalid = "the default applies",
        Notes = "Time between two reads from the endpoint. Differences: YARP has one idle timeout for both directions, so the longer of proxy-read-timeout and proxy-send-timeout applies to both; a setting of the backend, as proxy-connect-timeout.",
    };

    public static readonly Annotation<TimeSpan?> NginxProxySendTimeout = new(Nginx + "proxy-send-timeout", AnnotationTypes.Seconds(MaxTimeoutSeconds), BackendConnection, HonouredWithDifferences)
    {
        Describe = "the edge's default",
        OnInvalid = "the default applies",
        Notes = "Time between two writes to the endpoint. Differences: as proxy-read-timeout.",
    };

    public static readonly Annotation<BackendProtocol?> NginxBackendProtocol = new(Nginx + "backend-protocol", AnnotationTypes.Protocol, BackendConnection, HonouredWithDifferences)
    {
        Describe = "HTTP",
        OnInvalid = "HTTP applies",
        Notes = "Differences: AJP and FCGI are not supported, H2C is (HTTP/2 without TLS); a setting of the backend, as proxy-connect-timeout.",
    };

    // ingress-nginx: canary. In this order: the reports of canary annotations without canary: "true" follow it.

    public static readonly Annotation<bool> NginxCanary = new(Nginx + "canary", AnnotationTypes.Bool, Canary, HonouredWithDifferences)
    {
        OnInvalid = "ignored",
        Notes = "The Ingress is a canary of the main Ingress with the same host and path (one canary per host and path). Its other annotations are ignored and reported, as ingress-nginx ignores them, except use-regex and rewrite-target, which say how to read its paths. Difference: ingress-nginx keeps a canary's affinity and load-balance annotations; here the main route's apply.",
    };

    public static readonly Annotation<int> NginxCanaryWeight = new(Nginx + "canary-weight", AnnotationTypes.Integer(0, MaxCanaryWeightTotal), Canary)
    {
        OnInvalid = RefusesCanary,
        Notes = "Share of requests sent to the canary, out of canary-weight-total (100 by default; a weight above it is refused), after canary-by-header and canary-by-cookie.",
    };

    public static readonly Annotation<string?> NginxCanaryByHeader = new(Nginx + "canary-by-header", AnnotationTypes.HeaderName, Canary)
    {
        OnInvalid = RefusesCanary,
        Notes = "Requests with this header \"always\" go to the canary, \"never\" to the main backend.",
    };

    public static readonly Annotation<string?> NginxCanaryByHeaderValue = new(Nginx + "canary-by-header-value", AnnotationTypes.Text, Canary)
    {
        Notes = "The canary-by-header value that sends a request to the canary, instead of \"always\". Needs canary-by-header (without it the canary Ingress is refused).",
    };

    public static readonly Annotation<string?> NginxCanaryByCookie = new(Nginx + "canary-by-cookie", AnnotationTypes.CookieName(explained: false), Canary)
    {
        OnInvalid = RefusesCanary,
        Notes = "Requests with this cookie \"always\" go to the canary, \"never\" to the main backend (after canary-by-header).",
    };

    // ingress-nginx: rate limiting, one limit across every edge.

    public static readonly Annotation<int> NginxLimitRps = new(Nginx + "limit-rps", AnnotationTypes.Count(allowZero: true), AnnotationFeature.RateLimiting, HonouredWithDifferences)
    {
        Describe = "no limit",
        Notes = "Requests per second per client address; burst = rate x limit-burst-multiplier; 0: no limit. Differences: one limit across every edge replica (ingress-nginx counts per replica); a limited request gets 429 (ingress-nginx: 503).",
    };

    public static readonly Annotation<int> NginxLimitRpm = new(Nginx + "limit-rpm", AnnotationTypes.Count(allowZero: true), AnnotationFeature.RateLimiting, HonouredWithDifferences)
    {
        Describe = "no limit",
        Notes = "Requests per minute per client address; with limit-rps, both apply. Differences: as limit-rps.",
    };

    public static readonly Annotation<int> NginxLimitBurstMultiplier = new(Nginx + "limit-burst-multiplier", AnnotationTypes.Count(allowZero: false, example: false), AnnotationFeature.RateLimiting)
    {
        Default = NginxDefaultBurstMultiplier,
        OnInvalid = $"the default multiplier {NginxDefaultBurstMultiplier} applies",
        Notes = "Burst size as a multiple of limit-rps and limit-rpm.",
    };

    public static readonly Annotation<ImmutableArray<string>> NginxLimitWhitelist = new(Nginx + "limit-whitelist", AnnotationTypes.Networks, AnnotationFeature.RateLimiting)
    {
        Default = [],
        OnInvalid = NoneExempt,
        Notes = "Clients limit-rps and limit-rpm never limit.",
    };

    // ingress-nginx: affinity, read as our affinity.

    public static readonly Annotation<AffinityMode> NginxAffinity = new(Nginx + "affinity", AnnotationTypes.NginxAffinity, AnnotationFeature.Affinity, HonouredWithDifferences)
    {
        Describe = "none",
        Notes = "Cookie affinity. Differences: the cookie holds a random key and a hash naming the endpoint of its first request; an affinity grain pins the key there when the client returns, so sessions stay on their endpoint when endpoints are added (see affinity-mode), and only a moved pin (its endpoint unavailable) differs from the cookie.",
    };

    public static readonly Annotation<string?> NginxSessionCookieName = new(Nginx + "session-cookie-name", AnnotationTypes.CookieName(explained: true), AnnotationFeature.Affinity, HonouredWithDifferences)
    {
        Default = AffinitySpec.DefaultCookieName,
        Notes = "Name of the affinity cookie; affinity-cookie-name wins. Difference: the default name is op-affinity (ingress-nginx: INGRESSCOOKIE).",
    };

    public static readonly Annotation<TimeSpan> NginxSessionCookieMaxAge = new(Nginx + "session-cookie-max-age", AnnotationTypes.Duration(TimeSpan.FromSeconds(1), TimeSpan.FromDays(30)), AnnotationFeature.Affinity, HonouredWithDifferences)
    {
        Default = AffinitySpec.DefaultTtl,
        Notes = "Read as affinity-ttl, which wins. Difference: an idle time (each request renews it), not the cookie's fixed Max-Age.",
    };

    public static readonly Annotation<(AffinityMode Mode, string Name)> NginxUpstreamHashBy = new(Nginx + "upstream-hash-by", AnnotationTypes.HashBy, AnnotationFeature.Affinity, HonouredWithDifferences)
    {
        Describe = "none",
        Notes = "Differences: one variable only ($remote_addr, $binary_remote_addr, $http_NAME, $cookie_NAME), read as affinity by that key, pinned by an affinity grain rather than placed by a consistent hash, so keys do not move when endpoints are added.",
    };

    // ingress-nginx: CORS, answered at the edge (see CorsAnnotations).

    public static readonly Annotation<bool> NginxEnableCors = new(Nginx + "enable-cors", AnnotationTypes.Bool, Cors, HonouredWithDifferences)
    {
        OnInvalid = "CORS stays off",
        Notes = "The edge answers CORS preflights (OPTIONS with Origin and Access-Control-Request-Method) with 204 and the cors-* headers, without asking the backend, and adds Access-Control-Allow-Origin, -Credentials and -Expose-Headers to the other responses of an allowed origin. Differences: a preflight from an origin not allowed is answered 204 without CORS headers (ingress-nginx passes it to the backend); an OPTIONS request without Access-Control-Request-Method goes to the backend (ingress-nginx answers every OPTIONS when the origin is \"*\"); preflights pass through whitelist-source-range and rate limits first.",
    };

    public static readonly Annotation<ImmutableArray<string>> NginxCorsAllowOrigin = new(Nginx + "cors-allow-origin", AnnotationTypes.CorsOrigins, Cors, HonouredWithDifferences)
    {
        Default = [CorsSpec.AnyOrigin],
        OnInvalid = "CORS stays off for the Ingress",
        Notes = "Origins allowed; \"*.\" stands for one DNS label, compared case-insensitively, the port included. Difference: with \"*\" and cors-allow-credentials true, the request's Origin is echoed (ingress-nginx sends \"*\" with credentials, which browsers refuse). Needs enable-cors.",
    };

    public static readonly Annotation<ImmutableArray<string>> NginxCorsAllowMethods = new(Nginx + "cors-allow-methods", AnnotationTypes.TokenList("method", "GET, POST"), Cors)
    {
        Default = ["GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"],
        OnInvalid = "CORS stays off for the Ingress",
        Notes = "Access-Control-Allow-Methods of a preflight's answer. Needs enable-cors.",
    };

    public static readonly Annotation<ImmutableArray<string>> NginxCorsAllowHeaders = new(Nginx + "cors-allow-headers", AnnotationTypes.TokenList("header name", "X-Custom, Content-Type"), Cors)
    {
        Default = ["DNT", "Keep-Alive", "User-Agent", "X-Requested-With", "If-Modified-Since", "Cache-Control", "Content-Type", "Range", "Authorization"],
        OnInvalid = "CORS stays off for the Ingress",
        Notes = "Access-Control-Allow-Headers of a preflight's answer. Needs enable-cors.",
    };

    public static readonly Annotation<ImmutableArray<string>> NginxCorsExposeHeaders = new(Nginx + "cors-expose-headers", AnnotationTypes.TokenList("header name", "X-Request-Id, Content-Range"), Cors)
    {
        Default = [],
        Describe = "none",
        OnInvalid = "CORS stays off for the Ingress",
        Notes = "Access-Control-Expose-Headers of the responses. Needs enable-cors.",
    };

    public static readonly Annotation<bool> NginxCorsAllowCredentials = new(Nginx + "cors-allow-credentials", AnnotationTypes.Bool, Cors)
    {
        Default = true,
        OnInvalid = "CORS stays off for the Ingress",
        Notes = "Access-Control-Allow-Credentials: true on the answers. Needs enable-cors.",
    };

    public static readonly Annotation<TimeSpan> NginxCorsMaxAge = new(Nginx + "cors-max-age", AnnotationTypes.WholeSeconds, Cors)
    {
        Default = TimeSpan.FromSeconds(1728000),
        OnInvalid = "CORS stays off for the Ingress",
        Notes = "Access-Control-Max-Age of a preflight's answer, in seconds. Needs enable-cors.",
    };

    // ingress-nginx: authentication at the edge (see AuthAnnotations). A bad value refuses the Ingress: serving it without authentication would widen access.

    public static readonly Annotation<string?> NginxAuthType = new(Nginx + "auth-type", AnnotationTypes.AuthType, Authentication, HonouredWithDifferences)
    {
        OnInvalid = RefusesUnauthenticated,
        Notes = "\"basic\": requests need the credentials of a user of auth-secret, else 401 with WWW-Authenticate: Basic realm=\"auth-realm\"; the backend never sees a refused request. Differences: \"digest\" is refused (the Ingress with it); password hashes: bcrypt ($2a$, $2b$, $2y$), apr1 and $1$ MD5-crypt, {SHA} and {SSHA}; crypt(3) DES, $5$/$6$ SHA-crypt and {PLAIN} lines are refused (that user cannot log in; a Secret with no usable line refuses the Ingress).",
    };

    public static readonly Annotation<string?> NginxAuthSecret = new(Nginx + "auth-secret", AnnotationTypes.SecretReference, Authentication)
    {
        OnInvalid = RefusesUnauthenticated,
        Notes = "The Secret holding the users: name, or namespace/name in the Ingress's own namespace. A missing Secret, another namespace, or a Secret without usable users refuses the Ingress. Only hashes reach the edges. Needs auth-type: basic.",
    };

    public static readonly Annotation<bool> NginxAuthSecretType = new(Nginx + "auth-secret-type", AnnotationTypes.AuthSecretIsMap, Authentication)
    {
        OnInvalid = RefusesUnauthenticated,
        Notes = "auth-file: the Secret's key \"auth\" holds an htpasswd file (user:hash lines); auth-map: each key is a user and its value the hash. Needs auth-type: basic.",
    };

    public static readonly Annotation<string?> NginxAuthRealm = new(Nginx + "auth-realm", AnnotationTypes.Text, Authentication)
    {
        Describe = "empty",
        Notes = "The realm of the 401's WWW-Authenticate. Needs auth-type: basic.",
    };

    public static readonly Annotation<string?> NginxAuthUrl = new(Nginx + "auth-url", AnnotationTypes.AuthUrl, Authentication, HonouredWithDifferences)
    {
        OnInvalid = RefusesUnauthenticated,
        Notes = "Each request is first sent, without its body, to this URL with its headers and X-Original-URL, X-Original-Method, X-Sent-From, X-Real-IP, X-Forwarded-For/-Host/-Proto, X-Auth-Request-Redirect: a 2xx lets it through, 401 and 403 are returned (401 redirected to auth-signin when set), anything else, a failure or the edge's Authentication:ExternalTimeout (10s by default) gives 500. The cost: one subrequest per request. Differences: of nginx's variables only $host, $http_host, $scheme, $request_uri and $escaped_request_uri are expanded; the auth service's answers are not cached (auth-cache-key is not honoured).",
    };

    public static readonly Annotation<string> NginxAuthMethod = new(Nginx + "auth-method", AnnotationTypes.HttpMethod, Authentication)
    {
        Default = "GET",
        OnInvalid = RefusesUnauthenticated,
        Notes = "The subrequest's method. Needs auth-url.",
    };

    public static readonly Annotation<string?> NginxAuthSignin = new(Nginx + "auth-signin", AnnotationTypes.AuthUrl, Authentication)
    {
        Describe = "none: the 401 is returned",
        OnInvalid = RefusesUnauthenticated,
        Notes = "Where a request the auth service answers 401 is redirected (302), with auth-signin-redirect-param (rd) set to the original URL unless the URL already has it. Needs auth-url.",
    };

    public static readonly Annotation<string> NginxAuthSigninRedirectParam = new(Nginx + "auth-signin-redirect-param", AnnotationTypes.QueryParameter, Authentication)
    {
        Default = "rd",
        OnInvalid = RefusesUnauthenticated,
        Notes = "The query parameter of auth-signin that carries the original URL. Needs auth-signin.",
    };

    public static readonly Annotation<ImmutableArray<string>> NginxAuthResponseHeaders = new(Nginx + "auth-response-headers", AnnotationTypes.TokenList("header name", "X-User, X-Email"), Authentication)
    {
        Default = [],
        Describe = "none",
        OnInvalid = RefusesUnauthenticated,
        Notes = "Headers copied from the auth service's 2xx answer onto the request the backend receives; the client's own headers of these names are removed first, so they cannot be forged. Needs auth-url.",
    };

    public static readonly Annotation<string?> NginxAuthRequestRedirect = new(Nginx + "auth-request-redirect", AnnotationTypes.Text, Authentication)
    {
        Describe = "the request's path and query",
        Notes = "The subrequest's X-Auth-Request-Redirect header. Needs auth-url.",
    };

    // ingress-nginx: upstream headers, redirects, response headers, affinity cookie, canary, global limit and mirror (NginxRouteAnnotations).

    /// <summary>The largest canary-weight-total accepted.</summary>
    public const int MaxCanaryWeightTotal = 1_000_000;

    /// <summary>The longest global-rate-limit-window accepted.</summary>
    public static readonly TimeSpan MaxGlobalRateLimitWindow = TimeSpan.FromDays(1);

    public static readonly Annotation<string?> NginxUpstreamVhost = new(Nginx + "upstream-vhost", AnnotationTypes.HostHeader, Headers)
    {
        Describe = "the client's Host",
        OnInvalid = "the client's Host is sent",
        Notes = "The Host header the backend receives.",
    };

    public static readonly Annotation<string?> NginxXForwardedPrefix = new(Nginx + "x-forwarded-prefix", AnnotationTypes.HeaderText, Headers)
    {
        Describe = "none",
        OnInvalid = "the header is not sent",
        Notes = "The backend receives X-Forwarded-Prefix with this value.",
    };

    public static readonly Annotation<(string? Namespace, string Name)> NginxCustomHeaders = new(Nginx + "custom-headers", AnnotationTypes.ConfigMapRef, Headers, HonouredWithDifferences)
    {
        Describe = "none",
        OnInvalid = "no header is added",
        Notes = "Every answer gets the headers of this ConfigMap (each key a header name, its value the header's). Differences: only a ConfigMap in the Ingress's own namespace (another namespace's is refused: an Ingress must not publish what it cannot read); no controller allow-list of header names (ingress-nginx's global-allowed-response-headers), but hop-by-hop and framing headers are refused. A change to the ConfigMap applies at once.",
    };

    public static readonly Annotation<ImmutableArray<string>> NginxServerAlias = new(Nginx + "server-alias", AnnotationTypes.HostNames, Headers)
    {
        Default = [],
        OnInvalid = "no alias is served",
        Notes = "More hosts served by the Ingress's rules, as if each rule were written for them too. An alias that is the host of a rule of any Ingress is refused with a reason (that rule wins, as ingress-nginx's server does).",
    };

    public static readonly Annotation<bool> NginxFromToWwwRedirect = new(Nginx + "from-to-www-redirect", AnnotationTypes.Bool, Redirects)
    {
        OnInvalid = "no redirect",
        Notes = "Requests for www.HOST are answered 308 to HOST (and for HOST without www, from www.HOST), same scheme, path and query. Not when the twin host is the host of a rule of any Ingress (reported); a certificate for the twin host comes from this Ingress's spec.tls when it lists it.",
    };

    public static readonly Annotation<string?> NginxTemporalRedirect = new(Nginx + "temporal-redirect", AnnotationTypes.HttpUrl, Redirects)
    {
        OnInvalid = "no redirect",
        Notes = "Every request is answered 302 to this URL; wins over permanent-redirect, as in ingress-nginx.",
    };

    public static readonly Annotation<int> NginxPermanentRedirectCode = new(Nginx + "permanent-redirect-code", AnnotationTypes.RedirectCode, Redirects)
    {
        Default = 301,
        OnInvalid = "301 applies",
        Notes = "The status of permanent-redirect's answer. Needs permanent-redirect.",
    };

    public static readonly Annotation<bool> NginxAffinityMode = new(Nginx + "affinity-mode", AnnotationTypes.AffinityPersistence, AnnotationFeature.Affinity, HonouredWithDifferences)
    {
        Describe = "balanced",
        OnInvalid = "ignored",
        Notes = "Difference: both modes keep a session on its endpoint while it is available (\"persistent\"): the affinity grain pins it, so scaling up does not move it. \"balanced\" is accepted and gives new sessions an even spread over every endpoint, new ones included, but does not move existing sessions. Needs affinity.",
    };

    public static readonly Annotation<string?> NginxSessionCookiePath = new(Nginx + "session-cookie-path", AnnotationTypes.CookiePath, AnnotationFeature.Affinity, HonouredWithDifferences)
    {
        Describe = "/",
        OnInvalid = "Path=/ applies",
        Notes = "The affinity cookie's Path. Difference: the default is \"/\" (ingress-nginx: the rule's path). Needs cookie affinity.",
    };

    public static readonly Annotation<string?> NginxSessionCookieSameSite = new(Nginx + "session-cookie-samesite", AnnotationTypes.SameSite, AnnotationFeature.Affinity, HonouredWithDifferences)
    {
        Describe = "Lax",
        OnInvalid = "Lax applies",
        Notes = "The affinity cookie's SameSite. Difference: without it the cookie says SameSite=Lax (ingress-nginx: no attribute, which browsers read as Lax). Needs cookie affinity.",
    };

    public static readonly Annotation<bool> NginxSessionCookieConditionalSameSiteNone = new(Nginx + "session-cookie-conditional-samesite-none", AnnotationTypes.Bool, AnnotationFeature.Affinity)
    {
        OnInvalid = "SameSite=None is always sent",
        Notes = "With session-cookie-samesite: None, browsers known to reject or misread SameSite=None (Chrome 51 to 66, Safari on iOS 12 and macOS 10.14, UC Browser before 12.13.2) get the cookie without it.",
    };

    public static readonly Annotation<bool> NginxSessionCookieSecure = new(Nginx + "session-cookie-secure", AnnotationTypes.Bool, AnnotationFeature.Affinity)
    {
        Describe = "Secure on HTTPS only",
        OnInvalid = "Secure on HTTPS only",
        Notes = "\"true\": the affinity cookie is Secure on plain HTTP too (TLS ends in front of the edge). Needs cookie affinity.",
    };

    public static readonly Annotation<TimeSpan?> NginxSessionCookieExpires = new(Nginx + "session-cookie-expires", AnnotationTypes.Seconds(30 * 24 * 3600), AnnotationFeature.Affinity, HonouredWithDifferences)
    {
        Describe = "none",
        OnInvalid = "no Expires",
        Notes = "Seconds until the affinity cookie expires (its Expires attribute). Difference: the cookie also carries Max-Age (the pin's idle time, affinity-ttl or session-cookie-max-age, which browsers prefer); without either of those, this is the pin's idle time too. Needs cookie affinity.",
    };

    public static readonly Annotation<bool> NginxSessionCookieChangeOnFailure = new(Nginx + "session-cookie-change-on-failure", AnnotationTypes.Bool, AnnotationFeature.Affinity, HonouredWithDifferences)
    {
        OnInvalid = "the cookie is kept",
        Notes = "\"true\": when the edge gets no answer from the pinned endpoint (connection refused or reset, timeout), the 502/504 answer sets a new cookie naming another available endpoint, so the client's next request goes there; \"false\": the cookie is kept (the pin moves only when health takes the endpoint out). Difference: the failed request itself is not retried on another endpoint. Needs cookie affinity.",
    };

    public static readonly Annotation<string?> NginxCanaryByHeaderPattern = new(Nginx + "canary-by-header-pattern", AnnotationTypes.Pattern, Canary, HonouredWithDifferences)
    {
        OnInvalid = RefusesCanary,
        Notes = "Requests whose canary-by-header value matches this regex go to the canary; ignored when canary-by-header-value is set. Difference: .NET regex syntax run without backtracking (no backreferences or lookarounds), not PCRE; it matches anywhere in the value unless anchored, as PCRE does. Needs canary-by-header.",
    };

    public static readonly Annotation<int> NginxCanaryWeightTotal = new(Nginx + "canary-weight-total", AnnotationTypes.Integer(1, MaxCanaryWeightTotal), Canary)
    {
        Default = 100,
        OnInvalid = RefusesCanary,
        Notes = "What canary-weight is out of.",
    };

    public static readonly Annotation<int> NginxGlobalRateLimit = new(Nginx + "global-rate-limit", AnnotationTypes.Count(allowZero: true), AnnotationFeature.RateLimiting, HonouredWithDifferences)
    {
        Describe = "no limit",
        Notes = "Requests per global-rate-limit-window per key, one limit across every edge replica and every path of the Ingress, kept by the shared rate-limit grains (no memcached). Differences: a token bucket holding one window's requests, refilled at limit / window (ingress-nginx: a sliding window), so after an idle spell up to twice the limit can pass in one window; the rate is whole requests per second or per minute, rounded down (at least 1 per minute); a limited request gets 429, as ingress-nginx's default global-rate-limit-status-code. Needs global-rate-limit-window.",
    };

    public static readonly Annotation<TimeSpan> NginxGlobalRateLimitWindow = new(Nginx + "global-rate-limit-window", AnnotationTypes.Duration(TimeSpan.FromSeconds(1), MaxGlobalRateLimitWindow), AnnotationFeature.RateLimiting)
    {
        Describe = "none (required)",
        OnInvalid = "there is no global limit",
        Notes = "The window global-rate-limit counts over (1s, 1m, 1h).",
    };

    public static readonly Annotation<(RateLimitKeyKind Kind, string? Header)> NginxGlobalRateLimitKey = new(Nginx + "global-rate-limit-key", AnnotationTypes.GlobalRateLimitKey, AnnotationFeature.RateLimiting, HonouredWithDifferences)
    {
        Default = (RateLimitKeyKind.ClientIp, null),
        OnInvalid = "$remote_addr applies",
        Notes = "What the limit counts per. Difference: one variable, $remote_addr (the client address, from X-Forwarded-For only behind a trusted proxy) or $http_NAME (a header; requests without it share one bucket); other variables and combinations are refused.",
    };

    public static readonly Annotation<ImmutableArray<string>> NginxGlobalRateLimitIgnoredCidrs = new(Nginx + "global-rate-limit-ignored-cidrs", AnnotationTypes.Networks, AnnotationFeature.RateLimiting)
    {
        Default = [],
        OnInvalid = NoneExempt,
        Notes = "Clients the global limit never limits.",
    };

    public static readonly Annotation<int> NginxLimitConnections = new(Nginx + "limit-connections", AnnotationTypes.Count(allowZero: true), AnnotationFeature.RateLimiting, HonouredWithDifferences)
    {
        Describe = "no limit",
        OnInvalid = "there is no limit",
        Notes = "Requests in progress at once per client address, over every path of the Ingress; the one above it gets 503, as in ingress-nginx (which counts each HTTP/2 stream as a connection too). Difference: counted on each edge replica, so N replicas admit N times the limit (a count shared through grains would cost a call per request).",
    };

    public static readonly Annotation<string?> NginxDefaultBackend = new(Nginx + "default-backend", AnnotationTypes.ServiceName, ErrorPages, HonouredWithDifferences)
    {
        Describe = "none",
        OnInvalid = "there is no fallback",
        Notes = "A Service of the Ingress's namespace (its first port) that serves the Ingress's requests while their own Service has no available endpoint. Difference: the error pages of custom-http-errors are not sent there (custom-http-errors is not supported yet).",
    };

    public static readonly Annotation<Uri?> NginxMirrorTarget = new(Nginx + "mirror-target", AnnotationTypes.MirrorTarget, Mirroring, HonouredWithDifferences)
    {
        Describe = "none",
        OnInvalid = "requests are not mirrored",
        Notes = "A copy of every request the edge forwards (after redirects, source ranges and the body limit) goes there; its answer is discarded and never delays the client's (ingress-nginx's copy can). Differences: the host must be an IP address or a Service's cluster name (name.namespace[.svc[.cluster.local]], resolved to its endpoints as a backend), no other DNS name; the copy carries the request's forwarded path and query (the URL's path may only be empty, / or $request_uri) and the Host the backend gets (mirror-host is not read); a body above the edge's HttpRoutes:MirrorBodyLimit, or of unknown length, is not mirrored.",
    };

    public static readonly Annotation<bool> NginxMirrorRequestBody = new(Nginx + "mirror-request-body", AnnotationTypes.OnOff, Mirroring)
    {
        Default = true,
        OnInvalid = "the body is mirrored",
        Notes = "\"off\": copies are sent without the request body. Needs mirror-target.",
    };

    /// <summary>The rows above, in the order the reference lists them.</summary>
    private static readonly ImmutableArray<AnnotationDefinition> NginxRouteRows =
    [
        NginxUpstreamVhost, NginxXForwardedPrefix, NginxCustomHeaders, NginxServerAlias,
        NginxFromToWwwRedirect, NginxTemporalRedirect, NginxPermanentRedirectCode,
        NginxAffinityMode, NginxSessionCookiePath, NginxSessionCookieSameSite, NginxSessionCookieConditionalSameSiteNone,
        NginxSessionCookieSecure, NginxSessionCookieExpires, NginxSessionCookieChangeOnFailure,
        NginxCanaryByHeaderPattern, NginxCanaryWeightTotal,
        NginxGlobalRateLimit, NginxGlobalRateLimitWindow, NginxGlobalRateLimitKey, NginxGlobalRateLimitIgnoredCidrs, NginxLimitConnections, NginxDefaultBackend,
        NginxMirrorTarget, NginxMirrorRequestBody,
    ];

    /// <summary>The annotations this controller reads, in the order the reference lists them.</summary>
    public static readonly ImmutableArray<AnnotationDefinition> Read =
    [
        MatchHeaders, MatchQuery,
        RateLimitRps, RateLimitRpm, RateLimitBurst, RateLimitKey, RateLimitWhitelist,
        HealthCheckPath, HealthCheckInterval, HealthCheckTimeout, HealthCheckHealthyThreshold, HealthCheckUnhealthyThreshold,
        PassiveHealth, PassiveHealth5xx, PassiveHealthFailureRate, PassiveHealthMinRequests, PassiveHealthWindow, PassiveHealthReactivation,
        Affinity, AffinityCookieName, AffinityTtl,
        Cache, CacheDefaultTtl, CacheContentTypes, CacheMaxObjectSize, CacheVaryHeaders, CacheStaleIfError,
        NginxRewriteTarget, NginxUseRegex,
        NginxSslRedirect, NginxForceSslRedirect, NginxPermanentRedirect, NginxAppRoot,
        NginxWhitelistSourceRange, NginxDenylistSourceRange, NginxProxyBodySize,
        NginxProxyConnectTimeout, NginxProxyReadTimeout, NginxProxySendTimeout, NginxBackendProtocol,
        NginxCanary, NginxCanaryWeight, NginxCanaryByHeader, NginxCanaryByHeaderValue, NginxCanaryByCookie,
        NginxLimitRps, NginxLimitRpm, NginxLimitBurstMultiplier, NginxLimitWhitelist,
        NginxAffinity, NginxSessionCookieName, NginxSessionCookieMaxAge, NginxUpstreamHashBy,
        NginxEnableCors, NginxCorsAllowOrigin, NginxCorsAllowMethods, NginxCorsAllowHeaders, NginxCorsExposeHeaders, NginxCorsAllowCredentials, NginxCorsMaxAge,
        NginxAuthType, NginxAuthSecret, NginxAuthSecretType, NginxAuthRealm,
        NginxAuthUrl, NginxAuthMethod, NginxAuthSignin, NginxAuthSigninRedirectParam, NginxAuthResponseHeaders, NginxAuthRequestRedirect,
        .. NginxRouteRows,
    ];

    /// <summary>
    /// ingress-nginx's other annotations (from its annotations reference), so that the reference shows
    /// the whole picture and a report can say what it knows of each.
    /// </summary>
    public static readonly ImmutableArray<AnnotationDefinition> NotHonoured =
    [
        .. Rows(Refused, Snippets, "Raw nginx configuration: there is no nginx here to run it, and a snippet lets whoever writes an Ingress act on other tenants' traffic and read the controller's secrets (CVE-2021-25742).",
            "configuration-snippet", "server-snippet", "auth-snippet", "stream-snippet", "modsecurity-snippet"),
        .. Rows(NoEffect, Buffering, "YARP streams request and response bodies: there are no nginx buffers or temporary files to size.",
            "proxy-buffering", "proxy-buffers-number", "proxy-buffer-size", "proxy-max-temp-file-size", "proxy-request-buffering", "client-body-buffer-size"),
        .. Rows(NoEffect, Headers, "YARP removes hop-by-hop headers and manages its connections to backends itself.", "connection-proxy-header"),
        .. Rows(NoEffect, Observability, "HTTP/2 server push: Kestrel does not implement it (and browsers have dropped it).", "http2-push-preload"),
        .. Rows(NoEffect, Observability, "nginx's rewrite log: the edge logs with Microsoft.Extensions.Logging.", "enable-rewrite-log"),
        .. Rows(NoEffect, Observability, "nginx modules for OpenTracing and InfluxDB: the edge publishes its metrics itself.",
            "enable-opentracing", "opentracing-trust-incoming-span", "enable-influxdb", "influxdb-measurement", "influxdb-port", "influxdb-host", "influxdb-server-name"),
        .. Rows(NotYet, AnnotationFeature.Affinity, "",
            "affinity-canary-behavior", "session-cookie-domain"),
        .. Rows(NotYet, LoadBalancing, "", "load-balance", "upstream-hash-by-subset", "upstream-hash-by-subset-size", "service-upstream"),
        .. Rows(NotYet, Authentication, "",
            "auth-cache-key", "auth-cache-duration", "auth-keepalive", "auth-keepalive-requests",
            "auth-keepalive-timeout", "auth-proxy-set-headers", "auth-always-set-cookie", "enable-global-auth", "satisfy"),
        .. Rows(NotYet, ClientCertificates, "",
            "auth-tls-secret", "auth-tls-verify-depth", "auth-tls-verify-client", "auth-tls-error-page", "auth-tls-pass-certificate-to-upstream", "auth-tls-match-cn"),
        .. Rows(NotYet, BackendTls, "",
            "proxy-ssl-secret", "proxy-ssl-ciphers", "proxy-ssl-name", "proxy-ssl-protocols", "proxy-ssl-verify", "proxy-ssl-verify-depth", "proxy-ssl-server-name"),
        .. Rows(NotYet, Redirects, "", "preserve-trailing-slash"),
        .. Rows(NotYet, AnnotationFeature.RateLimiting, "", "limit-rate", "limit-rate-after"),
        .. Rows(NotYet, ErrorPages, "", "custom-http-errors"),
        .. Rows(NotYet, Headers, "", "proxy-cookie-domain", "proxy-cookie-path", "proxy-redirect-from", "proxy-redirect-to"),
        .. Rows(NotYet, BackendConnection, "", "proxy-http-version"),
        .. Rows(NotYet, Retries, "", "proxy-next-upstream", "proxy-next-upstream-timeout", "proxy-next-upstream-tries"),
        .. Rows(NotYet, Tls, "", "ssl-ciphers", "ssl-prefer-server-ciphers", "ssl-passthrough"),
        .. Rows(NotYet, Observability, "", "enable-access-log", "enable-opentelemetry", "opentelemetry-trust-incoming-span"),
        .. Rows(NotYet, Firewall, "", "enable-modsecurity", "enable-owasp-core-rules", "modsecurity-transaction-id"),
        .. Rows(NotYet, Mirroring, "", "mirror-host"),
    ];

    /// <summary>Every row: those read, then the ingress-nginx annotations not honoured.</summary>
    public static readonly ImmutableArray<AnnotationDefinition> All = [.. Read, .. NotHonoured];

    private static readonly Dictionary<string, AnnotationDefinition> ByName = All.ToDictionary(a => a.Name, StringComparer.Ordinal);

    /// <summary>The reason reported for an annotation under our prefix that is not in the table.</summary>
    public const string UnknownReason = "unknown annotation: it is ignored (check the spelling against docs/annotations.md)";

    /// <summary>The reason reported for an ingress-nginx annotation the table does not list.</summary>
    public const string NotSupportedReason = "this ingress-nginx annotation is not supported: it is ignored (docs/annotations.md lists the supported ones)";

    public static AnnotationDefinition? Find(string name) => ByName.GetValueOrDefault(name);

    /// <summary>The ingress-nginx annotations honoured, with or without differences.</summary>
    public static int HonouredNginxCount => All.Count(a => a.Origin == AnnotationOrigin.IngressNginx && a.IsHonoured);

    /// <summary>Why an annotation on an object is reported and ignored; null when it is honoured or under neither prefix.</summary>
    public static string? Report(string name) => Find(name) switch
    {
        { IsHonoured: true } => null,
        { Status: AnnotationStatus.Refused } row => $"refused, never applied: {row.Notes}",
        { Status: AnnotationStatus.NoEffect } row => $"accepted with no effect: {row.Notes}",
        { Status: AnnotationStatus.NotYet } => "this ingress-nginx annotation is not supported yet: it is ignored (docs/annotations.md lists the supported ones)",
        null when name.StartsWith(Ours, StringComparison.Ordinal) => UnknownReason,
        null when name.StartsWith(Nginx, StringComparison.Ordinal) => NotSupportedReason,
        _ => null,
    };

    private static IEnumerable<AnnotationDefinition> Rows(AnnotationStatus status, AnnotationFeature feature, string notes, params string[] names) =>
        names.Select(n => new AnnotationDefinition(Nginx + n, feature, status) { Notes = notes });
}
