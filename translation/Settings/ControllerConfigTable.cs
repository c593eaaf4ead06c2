using System.Collections.Immutable;
using Orleans.Proxy.Translation.Annotations;
using static Orleans.Proxy.Translation.Annotations.AnnotationStatus;

namespace Orleans.Proxy.Translation.Settings;

/// <summary>
/// Every key of ingress-nginx's controller ConfigMap, declared once with what this controller does
/// with it: <see cref="ControllerConfig"/> reads the honoured ones and reports the rest, and
/// docs/configmap.md is rendered from it (<see cref="ControllerConfigReference"/>).
/// </summary>
internal static class ControllerConfigTable
{
    /// <summary>ingress-nginx's hsts-max-age: 180 days.</summary>
    public const int NginxHstsMaxAge = 15724800;

    private const string EdgeTrust = "Whose X-Forwarded-For is believed is a property of the network in front of the edges, set on the edges (RateLimiting:TrustedProxies: the load balancer's ranges), where rate limits and affinity read the client address from it; a ConfigMap that anyone able to edit it could use to let every client pick its own address does not decide it.";
    private const string Buffers = "YARP streams request and response bodies: there are no nginx buffers or temporary files to size.";
    private const string NginxInternals = "Sizes and tunes nginx's own processes and tables; the edge is a .NET process scaled by replicas.";
    private const string Logs = "The edge writes its access log itself (section AccessLog) and logs through Microsoft.Extensions.Logging.";
    private const string Tracing = "nginx tracing modules: the edge publishes metrics itself.";
    private const string Kestrel = "Client connection limits are the edge's Kestrel settings (Kestrel:Limits), not per controller.";
    private const string Snippet = "Raw nginx configuration: there is no nginx here to run it, and a snippet lets whoever writes it act on every tenant's traffic (CVE-2021-25742).";
    private const string NeedsHsts = "Needs hsts: \"true\".";

    public static readonly ConfigKey<bool> SslRedirect = new("ssl-redirect", AnnotationTypes.Bool, "true", (v, x) => v.SslRedirect = x, HonouredWithDifferences)
    {
        Default = "Routes:SslRedirect (true)",
        Notes = "Plain HTTP to a host with a certificate in spec.tls is redirected (308) to https; an Ingress's ssl-redirect annotation wins. Overrides the silo's Routes:SslRedirect. Difference: as the annotation, only for hosts with a valid certificate from spec.tls.",
    };

    public static readonly ConfigKey<bool> Hsts = new("hsts", AnnotationTypes.Bool, "true", (v, x) => v.Hsts = x, HonouredWithDifferences)
    {
        Default = "false",
        Notes = "HTTPS responses of Ingress routes carry Strict-Transport-Security (built from the hsts-* keys), including the edge's own answers (redirects, 403, 413). Difference: off unless set, since a browser remembers HSTS for max-age and an upgrade must not turn it on by surprise (ingress-nginx: on by default).",
    };

    public static readonly ConfigKey<int> HstsMaxAge = new("hsts-max-age", AnnotationTypes.Integer(0, int.MaxValue), NginxHstsMaxAge.ToString(System.Globalization.CultureInfo.InvariantCulture), (v, x) => v.HstsMaxAge = x)
    {
        Default = "15724800",
        Notes = "max-age, in seconds. " + NeedsHsts,
    };

    public static readonly ConfigKey<bool> HstsIncludeSubdomains = new("hsts-include-subdomains", AnnotationTypes.Bool, "true", (v, x) => v.HstsIncludeSubdomains = x)
    {
        Default = "true",
        Notes = "Adds includeSubDomains. " + NeedsHsts,
    };

    public static readonly ConfigKey<bool> HstsPreload = new("hsts-preload", AnnotationTypes.Bool, "false", (v, x) => v.HstsPreload = x)
    {
        Default = "false",
        Notes = "Adds preload. " + NeedsHsts,
    };

    public static readonly ConfigKey<bool> ComputeFullForwardedFor = new("compute-full-forwarded-for", AnnotationTypes.Bool, "false", (v, x) => v.ComputeFullForwardedFor = x)
    {
        Default = "false",
        Notes = "\"true\": the edge appends the client's address to the X-Forwarded-For it received; \"false\": backends get the client's address alone.",
    };

    public static readonly ConfigKey<long?> ProxyBodySize = new("proxy-body-size", AnnotationTypes.Size, "1m", (v, x) => v.ProxyBodySize = x, HonouredWithDifferences)
    {
        Default = "the listener's limit",
        Notes = "Largest request body (413 above it) of routes without the proxy-body-size annotation. Difference: absent, the edge's listener limit applies (Kestrel's 30 MB), not 1m.",
    };

    public static readonly ConfigKey<TimeSpan?> ProxyConnectTimeout = new("proxy-connect-timeout", AnnotationTypes.Seconds(AnnotationTable.MaxTimeoutSeconds), "5", (v, x) => v.ProxyConnectTimeout = x, HonouredWithDifferences)
    {
        Default = "the edge's default",
        Notes = "Connect timeout of backends no Ingress sets proxy-connect-timeout for. Difference: absent, the edge's default applies, not 5s.",
    };

    public static readonly ConfigKey<TimeSpan?> ProxyReadTimeout = new("proxy-read-timeout", AnnotationTypes.Seconds(AnnotationTable.MaxTimeoutSeconds), "60", (v, x) => v.ProxyReadTimeout = x, HonouredWithDifferences)
    {
        Default = "the edge's default",
        Notes = "Read timeout of backends without the annotation. Difference: as the annotation, the longer of the read and send timeouts applies to both directions.",
    };

    public static readonly ConfigKey<TimeSpan?> ProxySendTimeout = new("proxy-send-timeout", AnnotationTypes.Seconds(AnnotationTable.MaxTimeoutSeconds), "60", (v, x) => v.ProxySendTimeout = x, HonouredWithDifferences)
    {
        Default = "the edge's default",
        Notes = "Send timeout of backends without the annotation. Difference: as proxy-read-timeout.",
    };

    public static readonly ConfigKey<int> LimitReqStatusCode = new("limit-req-status-code", AnnotationTypes.Integer(400, 599), "503", (v, x) => v.LimitReqStatusCode = x, HonouredWithDifferences)
    {
        Default = "429",
        Notes = "Status of a request a rate limit of an Ingress route refuses (limit-rps, limit-rpm and ours); it keeps Retry-After. Difference: absent, 429 (ingress-nginx: 503).",
    };

    /// <summary>Every key, in name order for the reference.</summary>
    public static readonly ImmutableArray<ConfigKey> All =
    [
        .. new ConfigKey[]
        {
            SslRedirect, Hsts, HstsMaxAge, HstsIncludeSubdomains, HstsPreload, ComputeFullForwardedFor,
            ProxyBodySize, ProxyConnectTimeout, ProxyReadTimeout, ProxySendTimeout, LimitReqStatusCode,
            new("allow-snippet-annotations", Refused, "true") { Harmless = "false", Notes = "Snippet annotations are always refused, never applied: \"false\" is what applies; \"true\" is reported. " + Snippet },
            new("use-forwarded-headers", Refused, "false") { Harmless = "false", Notes = EdgeTrust },
            new("forwarded-for-header", Refused, "X-Forwarded-For") { Harmless = "X-Forwarded-For", Notes = "The edge reads X-Forwarded-For only. " + EdgeTrust },
            new("enable-real-ip", Refused, "false") { Harmless = "false", Notes = EdgeTrust },
            new("proxy-real-ip-cidr", Refused, "0.0.0.0/0") { Notes = EdgeTrust },
            new("enable-cors", NotYet, "—") { Notes = "Not an ingress-nginx key (CORS is per Ingress there, with the enable-cors annotation); listed because migration guides name it." },
        },
        .. Rows(Refused, Snippet, "main-snippet", "http-snippet", "server-snippet", "stream-snippet", "location-snippet", "global-auth-snippet", "modsecurity-snippet"),
        .. Rows(Refused, "nginx Lua plugins: there is no nginx here to load them.", "plugins", "lua-shared-dicts"),
        .. Rows(NoEffect, "Annotation values are parsed by type here and never written into a configuration file, so there are no words to block.", "annotation-value-word-blocklist"),
        .. Rows(NoEffect, Buffers, "client-body-buffer-size", "client-header-buffer-size", "large-client-header-buffers", "proxy-buffering", "proxy-buffers-number", "proxy-buffer-size", "proxy-request-buffering"),
        .. Rows(NoEffect, NginxInternals,
            "enable-multi-accept", "map-hash-bucket-size", "max-worker-connections", "max-worker-open-files", "proxy-headers-hash-bucket-size", "proxy-headers-hash-max-size",
            "reuse-port", "server-name-hash-bucket-size", "server-name-hash-max-size", "variables-hash-bucket-size", "variables-hash-max-size", "worker-cpu-affinity", "worker-processes", "debug-connections"),
        .. Rows(NoEffect, "The edge drains on shutdown for Edge:DrainPeriod.", "worker-shutdown-timeout"),
        .. Rows(NoEffect, Logs,
            "access-log-params", "access-log-path", "disable-access-log", "enable-access-log-for-default-backend", "error-log-level", "error-log-path", "http-access-log-path",
            "log-format-escape-json", "log-format-escape-none", "log-format-stream", "log-format-upstream", "skip-access-log-urls", "stream-access-log-path", "enable-syslog", "syslog-host", "syslog-port"),
        .. Rows(NoEffect, Tracing,
            "enable-opentracing", "opentracing-operation-name", "opentracing-location-operation-name", "zipkin-collector-host", "zipkin-collector-port", "zipkin-service-name", "zipkin-sample-rate",
            "jaeger-collector-host", "jaeger-collector-port", "jaeger-endpoint", "jaeger-service-name", "jaeger-propagation-format", "jaeger-sampler-type", "jaeger-sampler-param",
            "jaeger-sampler-host", "jaeger-sampler-port", "jaeger-trace-context-header-name", "jaeger-debug-header", "jaeger-baggage-header", "jaeger-trace-baggage-header-prefix",
            "datadog-collector-host", "datadog-collector-port", "datadog-service-name", "datadog-environment", "datadog-operation-name-override", "datadog-priority-sampling", "datadog-sample-rate"),
        .. Rows(NoEffect, Kestrel, "client-body-timeout", "client-header-timeout", "http2-max-concurrent-streams", "http2-max-field-size", "http2-max-header-size", "http2-max-requests", "keep-alive", "keep-alive-requests"),
        .. Rows(NoEffect, "Kestrel accepts underscores in header names and refuses malformed headers with 400.", "enable-underscores-in-headers", "ignore-invalid-headers"),
        .. Rows(NoEffect, "The edge's listeners are its Edge:Address and ports.", "bind-address", "disable-ipv6", "disable-ipv6-dns"),
        .. Rows(NoEffect, "HTTP/2 is always offered on the HTTPS listener.", "use-http2"),
        .. Rows(NoEffect, "YARP pools and reuses backend connections itself.", "upstream-keepalive-connections", "upstream-keepalive-requests", "upstream-keepalive-time", "upstream-keepalive-timeout"),
        .. Rows(NoEffect, "There is no TCP or UDP stream proxying.", "proxy-stream-next-upstream", "proxy-stream-next-upstream-timeout", "proxy-stream-next-upstream-tries", "proxy-stream-responses", "proxy-stream-timeout"),
        .. Rows(NoEffect, "There is no nginx status page; the diagnostics API has its own port and token.", "nginx-status-ipv4-whitelist", "nginx-status-ipv6-whitelist"),
        .. Rows(NoEffect, "ingress-nginx's memcached for global-rate-limit: limits here are one limit across every edge, kept by grains.",
            "global-rate-limit-memcached-host", "global-rate-limit-memcached-port", "global-rate-limit-memcached-connect-timeout", "global-rate-limit-memcached-max-idle-timeout", "global-rate-limit-memcached-pool-size"),
        .. Rows(NoEffect, "TLS session and handshake tuning of nginx: Kestrel uses the operating system's TLS (1.2 and 1.3) and its session handling.",
            "enable-dynamic-tls-records", "ssl-buffer-size", "ssl-dh-param", "ssl-ecdh-curve", "ssl-session-cache", "ssl-session-cache-size", "ssl-session-ticket-key", "ssl-session-tickets", "ssl-session-timeout"),
        .. Rows(NoEffect, "The backend's own Content-Type passes through; the edge sets none.", "default-type"),
        .. Rows(NoEffect, "The backend TLS settings apply where the backend is used.", "proxy-ssl-location-only"),
        .. Rows(NotYet, "",
            "add-headers", "allow-backend-server-header", "block-cidrs", "block-referers", "block-user-agents", "brotli-level", "brotli-min-length", "brotli-types",
            "custom-http-errors", "enable-brotli", "enable-modsecurity", "enable-ocsp", "enable-owasp-modsecurity-crs", "force-ssl-redirect", "generate-request-id",
            "global-auth-cache-duration", "global-auth-cache-key", "global-auth-method", "global-auth-request-redirect", "global-auth-response-headers", "global-auth-signin",
            "global-auth-signin-redirect-param", "global-auth-url", "global-rate-limit-status-code", "gzip-level", "gzip-types", "hide-headers", "http-redirect-code",
            "limit-conn-status-code", "limit-conn-zone-variable", "limit-rate", "limit-rate-after", "load-balance", "no-auth-locations", "no-tls-redirect-locations",
            "proxy-add-original-uri-header", "proxy-cookie-domain", "proxy-cookie-path", "proxy-next-upstream", "proxy-next-upstream-timeout", "proxy-next-upstream-tries",
            "proxy-protocol-header-timeout", "proxy-redirect-from", "proxy-set-headers", "retry-non-idempotent", "server-tokens", "service-upstream", "ssl-ciphers",
            "ssl-protocols", "ssl-reject-handshake", "use-geoip", "use-geoip2", "use-gzip", "use-proxy-protocol", "whitelist-source-range"),
    ];

    private static readonly Dictionary<string, ConfigKey> ByName = All.ToDictionary(k => k.Name, StringComparer.Ordinal);

    public static ConfigKey? Find(string name) => ByName.GetValueOrDefault(name);

    /// <summary>Why a key is reported and ignored; null when it is honoured or its value is harmless.</summary>
    public static string? Report(string name, string value) => Find(name) switch
    {
        { IsHonoured: true } => null,
        { Harmless: { } harmless } when string.Equals(value.Trim(), harmless, StringComparison.OrdinalIgnoreCase) => null,
        { Status: Refused } row => $"refused, never applied: {row.Notes}",
        { Status: NoEffect } row => $"accepted with no effect: {row.Notes}",
        { Status: NotYet } => $"this ingress-nginx ConfigMap key is not supported yet: it is ignored ({ControllerConfigReference.Path} lists the supported ones)",
        _ => $"unknown ConfigMap key: it is ignored (check the spelling against {ControllerConfigReference.Path})",
    };

    private static IEnumerable<ConfigKey> Rows(AnnotationStatus status, string notes, params string[] names) =>
        names.Select(n => new ConfigKey(n, status, "") { Notes = notes });
}
