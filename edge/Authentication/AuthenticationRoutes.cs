using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Orleans.Proxy.Routing;
using Yarp.ReverseProxy.Configuration;

namespace Orleans.Proxy.Edge.Authentication;

/// <summary>
/// A route's authentication travels in its YARP RouteConfig (metadata), so it changes atomically with
/// the route; compiled once per route configuration.
/// </summary>
internal static class AuthenticationRoutes
{
    private const string BasicKey = "orleans-proxy.auth-basic";
    private const string ExternalKey = "orleans-proxy.auth-url";

    private static readonly ConditionalWeakTable<RouteConfig, RouteAuthentication> Compiled = new();

    public static RouteConfig WithAuthentication(this RouteConfig config, RouteSpec route)
    {
        if (route.BasicAuth is null && route.ExternalAuth is null)
        {
            return config;
        }

        var metadata = new Dictionary<string, string>(config.Metadata ?? ImmutableDictionary<string, string>.Empty, StringComparer.Ordinal);
        if (route.BasicAuth is { } basic)
        {
            // Not the spec itself: its JSON redacts the hashes.
            metadata[BasicKey] = JsonSerializer.Serialize(new BasicAuthMetadata(basic.Realm, basic.Users.ToDictionary(u => u.Name, u => u.Hash, StringComparer.Ordinal)));
        }

        if (route.ExternalAuth is { } external)
        {
            metadata[ExternalKey] = JsonSerializer.Serialize(external);
        }

        return config with { Metadata = metadata };
    }

    /// <summary>The route's authentication, or null when it has none.</summary>
    public static RouteAuthentication? For(RouteConfig? config) =>
        config?.Metadata is not { } metadata || !(metadata.ContainsKey(BasicKey) || metadata.ContainsKey(ExternalKey)) ? null
            : Compiled.GetValue(config, static c => new RouteAuthentication(
                c.Metadata!.TryGetValue(BasicKey, out var basic) ? BasicAuthMetadata.Read(basic) : null,
                c.Metadata!.TryGetValue(ExternalKey, out var external) ? JsonSerializer.Deserialize<ExternalAuthSpec>(external) : null));
}

internal sealed record RouteAuthentication(BasicCredentials? Basic, ExternalAuthSpec? External);

/// <summary>A route's Basic authentication as its metadata holds it: the realm, and the hash per user.</summary>
internal sealed record BasicAuthMetadata(string Realm, Dictionary<string, string> Users)
{
    public static BasicCredentials Read(string json)
    {
        var metadata = JsonSerializer.Deserialize<BasicAuthMetadata>(json)!;
        return new BasicCredentials(new BasicAuthSpec(metadata.Realm, [.. metadata.Users.Select(u => new BasicAuthUser(u.Key, u.Value))]));
    }
}

/// <summary>
/// The users of one route's auth-secret. A bcrypt check costs milliseconds of CPU by design, so
/// credentials that passed are remembered (as a SHA-256 of user and password, never the password)
/// for as long as this route configuration lives, up to <see cref="MaxRemembered"/> of them.
/// </summary>
internal sealed class BasicCredentials(BasicAuthSpec spec)
{
    public const int MaxRemembered = 1024;

    private readonly Dictionary<string, string> _hashes = spec.Users.ToDictionary(u => u.Name, u => u.Hash, StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _passed = new(StringComparer.Ordinal);

    /// <summary>The WWW-Authenticate value of a 401: the realm as a quoted string.</summary>
    public string Challenge { get; } = $"Basic realm=\"{spec.Realm.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\"";

    /// <summary>True when the Authorization header holds Basic credentials of a listed user.</summary>
    public bool Admits(string? authorization)
    {
        if (authorization is null || !authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var encoded = authorization.AsSpan(6).Trim();
        var buffer = new byte[encoded.Length];
        if (!Convert.TryFromBase64Chars(encoded, buffer, out var length))
        {
            return false;
        }

        var decoded = Encoding.UTF8.GetString(buffer, 0, length);
        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || !_hashes.TryGetValue(decoded[..colon], out var hash))
        {
            return false;
        }

        var remembered = Convert.ToHexString(SHA256.HashData(buffer.AsSpan(0, length)));
        if (_passed.ContainsKey(remembered))
        {
            return true;
        }

        if (!PasswordVerifier.Verify(decoded[(colon + 1)..], hash))
        {
            return false;
        }

        if (_passed.Count >= MaxRemembered)
        {
            _passed.Clear();
        }

        _passed[remembered] = true;
        return true;
    }
}
