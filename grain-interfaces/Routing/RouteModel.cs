using System.Collections.Immutable;
using Orleans.Proxy.Affinity;
using Orleans.Proxy.Health;

namespace Orleans.Proxy.Routing;

/// <summary>How a route's path is compared with a request path (Ingress pathType).</summary>
public enum PathMatchKind
{
    /// <summary>Element-wise prefix on '/' boundaries; ImplementationSpecific is read as Prefix.</summary>
    Prefix = 0,
    /// <summary>The whole path, exactly.</summary>
    Exact = 1,
}

/// <summary>How a header or query value is compared (Gateway API's match types).</summary>
public enum ValueMatchKind
{
    /// <summary>The whole value, case-sensitively.</summary>
    Exact = 0,
    /// <summary>A .NET regular expression that must match the whole value (run without backtracking).</summary>
    RegularExpression = 1,
}

/// <summary>A request header that must be present with this value (header names are case-insensitive).</summary>
[GenerateSerializer, Immutable, Alias("op.HeaderMatch")]
public sealed record HeaderMatch([property: Id(0)] string Name, [property: Id(1)] string Value)
{
    [Id(2)]
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public ValueMatchKind Kind { get; init; }
}

/// <summary>A query-string parameter that must be present with this value (names are case-sensitive).</summary>
[GenerateSerializer, Immutable, Alias("op.QueryMatch")]
public sealed record QueryMatch([property: Id(0)] string Name, [property: Id(1)] string Value)
{
    [Id(2)]
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public ValueMatchKind Kind { get; init; }
}

/// <summary>One routing rule: host + path (+ optional header and query matches) to a backend cluster.</summary>
/// <param name="RouteId">Stable id naming the object it came from, e.g. "default/web#0.1".</param>
/// <param name="Host">Exact host, "*.suffix" wildcard, or "*" for any host.</param>
/// <param name="Source">The object the route came from ("Ingress default/web"), for diagnostics.</param>
[GenerateSerializer, Immutable, Alias("op.RouteSpec")]
public sealed record RouteSpec(
    [property: Id(0)] string RouteId,
    [property: Id(1)] string Host,
    [property: Id(2)] string Path,
    [property: Id(3)] PathMatchKind PathMatch,
    [property: Id(4)] ImmutableArray<HeaderMatch> Headers,
    [property: Id(5)] ImmutableArray<QueryMatch> Query,
    [property: Id(6)] string ClusterId,
    [property: Id(7)] string Source)
{
    /// <summary>True for the catch-all route of the default backend.</summary>
    [Id(8)]
    public bool IsDefaultBackend { get; init; }

    /// <summary>Rate limits every request of the route must pass (rate limiting, Ids 10-19); empty: none.</summary>
    [Id(10)]
    public ImmutableArray<RateLimiting.RateLimitSpec> RateLimits { get; init; } = [];

    // ingress-nginx annotations (Ids 30-49).

    /// <summary>
    /// When set, the request path must match this case-insensitive regex, anchored at the start; <see cref="Path"/> is then its literal '/'-prefix.
    /// On a route with <see cref="HttpRoute"/> (Gateway API's RegularExpression path): case-sensitive, and it must match the whole path.
    /// </summary>
    [Id(30)]
    public string? PathRegex { get; init; }

    /// <summary>New path built from <see cref="PathRegex"/>'s match ($1, $2... are its groups); the query string is kept.</summary>
    [Id(31)]
    public string? RewriteTarget { get; init; }

    /// <summary>A plain-HTTP request is redirected (308) to https on the same host and path.</summary>
    [Id(32)]
    public bool SslRedirect { get; init; }

    /// <summary>When not empty, only clients in these CIDR ranges are served; others get 403.</summary>
    [Id(33)]
    public ImmutableArray<string> AllowSourceRanges { get; init; } = [];

    /// <summary>Clients in these CIDR ranges get 403 (checked before <see cref="AllowSourceRanges"/>).</summary>
    [Id(34)]
    public ImmutableArray<string> DenySourceRanges { get; init; } = [];

    /// <summary>Largest accepted request body in bytes (413 above it); 0: no limit; null: the listener's default.</summary>
    [Id(35)]
    public long? MaxRequestBodySize { get; init; }

    /// <summary>Every request is answered 301 to this URL.</summary>
    [Id(36)]
    public string? PermanentRedirect { get; init; }

    /// <summary>A request for "/" is answered 302 to this path.</summary>
    [Id(37)]
    public string? AppRoot { get; init; }

    /// <summary>A canary backend that takes some of this route's requests.</summary>
    [Id(38)]
    public CanarySpec? Canary { get; init; }

    /// <summary>
    /// The certificate for <see cref="Host"/> on the HTTPS listener: "namespace/secret#fingerprint"
    /// (an <see cref="ITlsCertificateGrain"/> key and the content hash it must hold), from spec.tls.
    /// </summary>
    [Id(39)]
    public string? TlsCertificate { get; init; }

    /// <summary>Sticky sessions for this route; null: off.</summary>
    [Id(20)]
    public AffinitySpec? Affinity { get; init; }

    /// <summary>Response caching at the edges (Ids 50-59); null: off (and left out of JSON views).</summary>
    [Id(50)]
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public Caching.CacheSpec? Cache { get; init; }

    // The controller ConfigMap's global defaults (Ids 90-99), on routes from Ingresses.

    /// <summary>The Strict-Transport-Security header HTTPS responses of the route carry (ConfigMap hsts*); null: none.</summary>
    [Id(90)]
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? StrictTransportSecurity { get; init; }

    /// <summary>The client's address is appended to the X-Forwarded-For it sent (ConfigMap compute-full-forwarded-for); false: it replaces it.</summary>
    [Id(91)]
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public bool AppendForwardedFor { get; init; }

    /// <summary>Status of a request the route's rate limits refuse (ConfigMap limit-req-status-code); null: 429.</summary>
    [Id(92)]
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public int? RateLimitStatusCode { get; init; }

    /// <summary>Gateway API HTTPRoute behaviour (Ids 60-69); null for routes from Ingresses.</summary>
    [Id(60)]
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public HttpRouteRule? HttpRoute { get; init; }

    // ingress-nginx CORS and authentication (Ids 70-74); null: off (and left out of JSON views).

    /// <summary>CORS answered and added at the edge (enable-cors).</summary>
    [Id(70)]
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public CorsSpec? Cors { get; init; }

    /// <summary>HTTP Basic authentication checked at the edge (auth-type: basic).</summary>
    [Id(71)]
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public BasicAuthSpec? BasicAuth { get; init; }

    /// <summary>A subrequest to an auth service before each request (auth-url).</summary>
    [Id(72)]
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public ExternalAuthSpec? ExternalAuth { get; init; }

    /// <summary>More ingress-nginx annotations (Ids 80-89); null: none (and left out of JSON views).</summary>
    [Id(80)]
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public NginxRouteSpec? Nginx { get; init; }
}

/// <summary>Which of the edge's listeners serve a route (a Gateway listener's protocol).</summary>
public enum RouteListeners
{
    Both = 0,
    HttpOnly = 1,
    HttpsOnly = 2,
}

/// <summary>
/// One match of one HTTPRoute rule, with the rule's filters and backends. Its route's
/// <see cref="RouteSpec.ClusterId"/> is the first valid backend, or empty when none is valid.
/// </summary>
[GenerateSerializer, Immutable, Alias("op.HttpRouteRule")]
public sealed record HttpRouteRule
{
    /// <summary>The request method that must match; null: any.</summary>
    [Id(0)]
    public string? Method { get; init; }

    /// <summary>
    /// The last tiebreak of Gateway API precedence, between matches equal in every other respect:
    /// the match's place when ordered by route age, then namespace/name, then rule and match index. Lower first.
    /// </summary>
    [Id(1)]
    public int Order { get; init; }

    [Id(2)]
    public HeaderModifier? RequestHeaders { get; init; }

    [Id(3)]
    public HeaderModifier? ResponseHeaders { get; init; }

    /// <summary>Answer with a redirect instead of forwarding.</summary>
    [Id(4)]
    public RedirectSpec? Redirect { get; init; }

    [Id(5)]
    public RewriteSpec? Rewrite { get; init; }

    /// <summary>Copies of each request sent to these backends; their answers are discarded.</summary>
    [Id(6)]
    public ImmutableArray<MirrorSpec> Mirrors { get; init; } = [];

    /// <summary>
    /// The traffic split: each request goes to one backend with probability weight / sum of weights.
    /// An entry with an empty cluster id is the share of invalid backends, answered 500 as the spec says.
    /// Empty: every request goes to <see cref="RouteSpec.ClusterId"/> (or, when that is empty, 500).
    /// </summary>
    [Id(7)]
    public ImmutableArray<WeightedBackend> Backends { get; init; } = [];

    [Id(8)]
    public RouteListeners Listeners { get; init; }
}

/// <summary>A header to set or add (HTTPHeaderFilter).</summary>
[GenerateSerializer, Immutable, Alias("op.HeaderValue")]
public sealed record HeaderValue([property: Id(0)] string Name, [property: Id(1)] string Value);

/// <summary>HTTPHeaderFilter: set (replace), add (append) and remove headers, in that order.</summary>
[GenerateSerializer, Immutable, Alias("op.HeaderModifier")]
public sealed record HeaderModifier(
    [property: Id(0)] ImmutableArray<HeaderValue> Set,
    [property: Id(1)] ImmutableArray<HeaderValue> Add,
    [property: Id(2)] ImmutableArray<string> Remove);

/// <summary>How a redirect or rewrite changes the path (HTTPPathModifier).</summary>
public enum PathModifierKind
{
    /// <summary>The whole path becomes the value.</summary>
    ReplaceFullPath = 0,
    /// <summary>The part the route's Prefix matched becomes the value; the rest is kept.</summary>
    ReplacePrefixMatch = 1,
}

[GenerateSerializer, Immutable, Alias("op.PathModifier")]
public sealed record PathModifier([property: Id(0)] PathModifierKind Kind, [property: Id(1)] string Value);

/// <summary>HTTPRequestRedirectFilter; a null part is the request's own (the port: the scheme's default).</summary>
[GenerateSerializer, Immutable, Alias("op.RedirectSpec")]
public sealed record RedirectSpec(
    [property: Id(0)] string? Scheme,
    [property: Id(1)] string? Hostname,
    [property: Id(2)] int? Port,
    [property: Id(3)] PathModifier? Path,
    [property: Id(4)] int StatusCode);

/// <summary>HTTPURLRewriteFilter: the Host header and the path the backend receives.</summary>
[GenerateSerializer, Immutable, Alias("op.RewriteSpec")]
public sealed record RewriteSpec([property: Id(0)] string? Hostname, [property: Id(1)] PathModifier? Path);

/// <summary>HTTPRequestMirrorFilter: a backend that gets a copy of <see cref="Percent"/> % of the requests.</summary>
[GenerateSerializer, Immutable, Alias("op.MirrorSpec")]
public sealed record MirrorSpec([property: Id(0)] string ClusterId, [property: Id(1)] int Percent);

/// <summary>One backendRef of a rule with its weight; an empty cluster id stands for invalid references.</summary>
[GenerateSerializer, Immutable, Alias("op.WeightedBackend")]
public sealed record WeightedBackend([property: Id(0)] string ClusterId, [property: Id(1)] int Weight);

/// <summary>
/// A canary Ingress's backend for a route (ingress-nginx semantics). The header decides first
/// ("always"/"never", or equal to <see cref="HeaderValue"/>), then the cookie ("always"/"never"),
/// then the weight out of 100.
/// </summary>
[GenerateSerializer, Immutable, Alias("op.CanarySpec")]
public sealed record CanarySpec(
    [property: Id(0)] string ClusterId,
    [property: Id(1)] string Source,
    [property: Id(2)] int Weight,
    [property: Id(3)] string? Header,
    [property: Id(4)] string? HeaderValue,
    [property: Id(5)] string? Cookie)
{
    /// <summary>A regex the header's value must match to send a request to the canary (canary-by-header-pattern); checked when <see cref="HeaderValue"/> is not set.</summary>
    [Id(20)]
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public string? HeaderPattern { get; init; }

    /// <summary>What <see cref="Weight"/> is out of (canary-weight-total); 0 reads as 100.</summary>
    [Id(21)]
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public int WeightTotal { get; init; }
}

/// <summary>How the edge talks to a backend (ingress-nginx backend-protocol).</summary>
public enum BackendProtocol
{
    Http = 0,
    Https = 1,
    /// <summary>gRPC over cleartext HTTP/2 (prior knowledge).</summary>
    Grpc = 2,
    /// <summary>gRPC over TLS HTTP/2.</summary>
    Grpcs = 3,
    /// <summary>Cleartext HTTP/2 (prior knowledge).</summary>
    H2c = 4,
}

/// <summary>All routes of one host at one version.</summary>
[GenerateSerializer, Immutable, Alias("op.HostRoutes")]
public sealed record HostRoutes(
    [property: Id(0)] string Host,
    [property: Id(1)] long Version,
    [property: Id(2)] ImmutableArray<RouteSpec> Routes) : IVersioned
{
    public static HostRoutes Empty(string host) => new(host, 0, []);
}

/// <summary>One upstream endpoint of a backend cluster.</summary>
/// <param name="Id">Stable id (the endpoint address and port).</param>
/// <param name="Address">Base URI, e.g. "http://10.0.0.7:8080".</param>
[GenerateSerializer, Immutable, Alias("op.DestinationSpec")]
public sealed record DestinationSpec([property: Id(0)] string Id, [property: Id(1)] string Address);

/// <summary>A backend cluster (a Service port) and its destinations at one version.</summary>
/// <param name="ClusterId">"namespace/service:port".</param>
[GenerateSerializer, Immutable, Alias("op.BackendSpec")]
public sealed record BackendSpec(
    [property: Id(0)] string ClusterId,
    [property: Id(1)] long Version,
    [property: Id(2)] ImmutableArray<DestinationSpec> Destinations) : IVersioned
{
    public static BackendSpec Empty(string clusterId) => new(clusterId, 0, []);

    // ingress-nginx annotations (Ids 20-29): set by the first Ingress that names the backend with them.

    [Id(20)]
    public BackendProtocol Protocol { get; init; }

    /// <summary>Time to open a connection to a destination; null: the proxy's default.</summary>
    [Id(21)]
    public TimeSpan? ConnectTimeout { get; init; }

    /// <summary>Longest silence while reading the response or sending the request; null: the proxy's default.</summary>
    [Id(22)]
    public TimeSpan? ActivityTimeout { get; init; }

    /// <summary>Active health checks by the backend grain; null: off.</summary>
    [Id(10)]
    public HealthCheckSpec? HealthCheck { get; init; }

    /// <summary>Passive health from the edges' request outcomes; null: off.</summary>
    [Id(11)]
    public PassiveHealthSpec? PassiveHealth { get; init; }
}

/// <summary>An object, or one field of it, that was refused, and why.</summary>
/// <param name="Object">"Ingress default/web", or a file name for input that did not parse.</param>
/// <param name="Field">The field to fix, e.g. "spec.rules[0].http.paths[1].path".</param>
[GenerateSerializer, Immutable, Alias("op.Rejection")]
public sealed record Rejection(
    [property: Id(0)] string Object,
    [property: Id(1)] string Field,
    [property: Id(2)] string Reason);

/// <summary>
/// The catalog: every host and backend with the version of its current content, plus the
/// rejections of the last conversion. <see cref="Generation"/> orders catalogs: an edge never
/// replaces a newer catalog with an older one (for example one re-activated empty after a crash).
/// </summary>
[GenerateSerializer, Immutable, Alias("op.CatalogSnapshot")]
public sealed record CatalogSnapshot(
    [property: Id(0)] long Generation,
    [property: Id(1)] ImmutableDictionary<string, long> Hosts,
    [property: Id(2)] ImmutableDictionary<string, long> Backends,
    [property: Id(3)] ImmutableArray<Rejection> Rejections)
{
    public static CatalogSnapshot Empty { get; } = new(0, ImmutableDictionary<string, long>.Empty, ImmutableDictionary<string, long>.Empty, []);
}

/// <summary>The difference between two catalogs: hosts and backends added or at a new version, and those removed.</summary>
[GenerateSerializer, Immutable, Alias("op.CatalogDelta")]
public sealed record CatalogDelta(
    [property: Id(0)] long FromGeneration,
    [property: Id(1)] long Generation,
    [property: Id(2)] ImmutableDictionary<string, long> Hosts,
    [property: Id(3)] ImmutableArray<string> RemovedHosts,
    [property: Id(4)] ImmutableDictionary<string, long> Backends,
    [property: Id(5)] ImmutableArray<string> RemovedBackends,
    [property: Id(6)] ImmutableArray<Rejection> Rejections)
{
    public static CatalogDelta Between(CatalogSnapshot from, CatalogSnapshot to) => new(
        from.Generation,
        to.Generation,
        Changed(from.Hosts, to.Hosts),
        [.. from.Hosts.Keys.Where(k => !to.Hosts.ContainsKey(k))],
        Changed(from.Backends, to.Backends),
        [.. from.Backends.Keys.Where(k => !to.Backends.ContainsKey(k))],
        to.Rejections);

    /// <summary>The catalog this delta leads to from <paramref name="from"/>, which must be at <see cref="FromGeneration"/>.</summary>
    public CatalogSnapshot ApplyTo(CatalogSnapshot from) => from.Generation != FromGeneration
        ? throw new InvalidOperationException($"Delta from generation {FromGeneration} cannot apply to generation {from.Generation}")
        : new CatalogSnapshot(Generation, from.Hosts.SetItems(Hosts).RemoveRange(RemovedHosts), from.Backends.SetItems(Backends).RemoveRange(RemovedBackends), Rejections);

    private static ImmutableDictionary<string, long> Changed(ImmutableDictionary<string, long> from, ImmutableDictionary<string, long> to) =>
        to.Where(e => !from.TryGetValue(e.Key, out var version) || version != e.Value).ToImmutableDictionary(StringComparer.Ordinal);
}
