using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Orleans.Proxy.Routing;
using Yarp.ReverseProxy.Configuration;

namespace Orleans.Proxy.Edge.Cors;

/// <summary>
/// A route's CORS settings travel in its YARP RouteConfig (metadata), so they change atomically with
/// the route; each is compiled once into an ASP.NET Core <see cref="CorsPolicy"/>, which
/// <see cref="ICorsService"/> evaluates and writes as it does for an app's own policies.
/// </summary>
internal static class CorsRoutes
{
    private const string MetadataKey = "orleans-proxy.cors";

    private static readonly ConditionalWeakTable<RouteConfig, CorsPolicy> Policies = new();

    public static RouteConfig WithCors(this RouteConfig config, RouteSpec route)
    {
        if (route.Cors is null)
        {
            return config;
        }

        var metadata = new Dictionary<string, string>(config.Metadata ?? ImmutableDictionary<string, string>.Empty, StringComparer.Ordinal)
        {
            [MetadataKey] = JsonSerializer.Serialize(route.Cors),
        };
        return config with { Metadata = metadata };
    }

    /// <summary>The route's CORS policy, or null when CORS is off.</summary>
    public static CorsPolicy? For(RouteConfig? config) =>
        config?.Metadata is null || !config.Metadata.ContainsKey(MetadataKey) ? null
            : Policies.GetValue(config, static c => ToPolicy(JsonSerializer.Deserialize<CorsSpec>(c.Metadata![MetadataKey])!));

    internal static CorsPolicy ToPolicy(CorsSpec spec)
    {
        var policy = new CorsPolicy { SupportsCredentials = spec.AllowCredentials, PreflightMaxAge = spec.MaxAge };
        var anyOrigin = spec.AllowOrigins.Contains(CorsSpec.AnyOrigin);
        if (anyOrigin && !spec.AllowCredentials)
        {
            policy.Origins.Add(CorsSpec.AnyOrigin);
        }
        else
        {
            // "*" with credentials: browsers refuse that pair, so the allowed origin is echoed instead.
            var origins = anyOrigin ? null : spec.AllowOrigins.Select(OriginPattern.Parse).ToArray();
            policy.IsOriginAllowed = origin => origins is null || origins.Any(o => o.Matches(origin));
        }

        foreach (var method in spec.AllowMethods)
        {
            policy.Methods.Add(method);
        }

        foreach (var header in spec.AllowHeaders)
        {
            policy.Headers.Add(header);
        }

        foreach (var header in spec.ExposeHeaders)
        {
            policy.ExposedHeaders.Add(header);
        }

        return policy;
    }

    /// <summary>
    /// One cors-allow-origin entry, matched as ingress-nginx matches it: the scheme, host and port of the
    /// Origin, case-insensitively; a leading "*." stands for exactly one DNS label (ASP.NET Core's
    /// SetIsOriginAllowedToAllowWildcardSubdomains would take any depth, so the match is ours).
    /// </summary>
    internal readonly record struct OriginPattern(string Prefix, string Suffix, bool Wildcard)
    {
        public static OriginPattern Parse(string origin)
        {
            var star = origin.IndexOf("://*.", StringComparison.Ordinal);
            return star < 0 ? new(origin, "", false) : new(origin[..(star + 3)], origin[(star + 4)..], true);
        }

        public bool Matches(string origin)
        {
            if (!Wildcard)
            {
                return string.Equals(origin, Prefix, StringComparison.OrdinalIgnoreCase);
            }

            if (origin.Length <= Prefix.Length + Suffix.Length
                || !origin.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase)
                || !origin.EndsWith(Suffix, StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }

            var label = origin.AsSpan(Prefix.Length, origin.Length - Prefix.Length - Suffix.Length);
            foreach (var c in label)
            {
                if (!char.IsAsciiLetterOrDigit(c) && c != '-')
                {
                    return false;
                }
            }

            return true;
        }
    }
}
