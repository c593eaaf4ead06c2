namespace Orleans.Proxy.Affinity;

/// <summary>Where a route's affinity key comes from.</summary>
public enum AffinityMode
{
    /// <summary>A cookie the edge issues on the first request (random value) and the client returns.</summary>
    Cookie = 0,
    /// <summary>A request header, e.g. a user or tenant id; no header, no affinity.</summary>
    Header = 1,
    /// <summary>The client's address: the socket's, or from X-Forwarded-For when the socket is a trusted proxy.</summary>
    ClientIp = 2,
}

/// <summary>Sticky sessions for one route.</summary>
/// <param name="Name">Cookie name (<see cref="AffinityMode.Cookie"/>) or header name (<see cref="AffinityMode.Header"/>); empty for client IP.</param>
/// <param name="Ttl">A key not used for this long is forgotten (sliding); also the cookie's Max-Age.</param>
[GenerateSerializer, Immutable, Alias("op.AffinitySpec")]
public sealed record AffinitySpec(
    [property: Id(0)] AffinityMode Mode,
    [property: Id(1)] string Name,
    [property: Id(2)] TimeSpan Ttl)
{
    public const string DefaultCookieName = "op-affinity";
    public static readonly TimeSpan DefaultTtl = TimeSpan.FromMinutes(30);

    // ingress-nginx's cookie attributes (Ids 20-29); defaults: Path=/, SameSite=Lax, Secure on HTTPS, Max-Age the TTL.

    /// <summary>The cookie's Path; null: "/".</summary>
    [Id(20)]
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public string? CookiePath { get; init; }

    /// <summary>The cookie's SameSite: "None", "Lax" or "Strict"; null: Lax.</summary>
    [Id(21)]
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public string? CookieSameSite { get; init; }

    /// <summary>SameSite=None is left out for browsers known to mishandle it.</summary>
    [Id(22)]
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public bool CookieConditionalSameSiteNone { get; init; }

    /// <summary>The cookie is marked Secure on plain HTTP too (on HTTPS it always is).</summary>
    [Id(23)]
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public bool CookieSecure { get; init; }

    /// <summary>The cookie's Expires, this long after it is issued; null: none.</summary>
    [Id(24)]
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public TimeSpan? CookieExpires { get; init; }

    /// <summary>When the proxy fails to get an answer from the pinned destination, the client gets a new cookie whose key another destination wins.</summary>
    [Id(25)]
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public bool ChangeOnFailure { get; init; }
}

/// <summary>The destination a key is pinned to; empty when the backend has no available destination.</summary>
/// <param name="Repins">How often this key has been moved off an unavailable destination (diagnostics).</param>
[GenerateSerializer, Immutable, Alias("op.AffinityPin")]
public sealed record AffinityPin(
    [property: Id(0)] string DestinationId,
    [property: Id(1)] int Repins);

/// <summary>What an affinity grain holds, read without side effects; <see cref="DestinationId"/> null: no pin.</summary>
[GenerateSerializer, Immutable, Alias("op.AffinityPeek")]
public sealed record AffinityPeek(
    [property: Id(0)] string? DestinationId,
    [property: Id(1)] DateTimeOffset? LastUsed,
    [property: Id(2)] int Repins);
