using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Orleans.Proxy.Translation.Annotations;

/// <summary>The value types of ingress-nginx's CORS and authentication annotations.</summary>
internal static partial class AnnotationTypes
{
    /// <summary>The nginx variables auth-url and auth-signin may use, expanded per request by the edge.</summary>
    public static readonly ImmutableArray<string> AuthUrlVariables = ["$host", "$http_host", "$scheme", "$request_uri", "$escaped_request_uri"];

    /// <summary>An origin as ingress-nginx's cors-allow-origin accepts it: scheme://host[:port], the host's first label may be "*".</summary>
    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9+.\-]*://(\*\.)?[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*(:[0-9]{1,5})?$")]
    private static partial Regex OriginPattern();

    /// <summary>A DNS subdomain name (a Secret's name).</summary>
    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex ObjectName();

    [GeneratedRegex(@"\$[A-Za-z_][A-Za-z0-9_]*")]
    private static partial Regex Variable();

    /// <summary>"*", or comma-separated origins (https://app.example.com, https://*.example.com:8443), lower-cased.</summary>
    public static AnnotationType<ImmutableArray<string>> CorsOrigins { get; } = new("origin list",
        "\"*\", or comma-separated origins scheme://host[:port], the first label of a host may be * (https://*.example.com)",
        "is not an origin (scheme://host[:port], e.g. https://app.example.com or https://*.example.com) nor \"*\"",
        text =>
        {
            var items = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (items.Contains("*"))
            {
                // ingress-nginx reads any list holding "*" as "*".
                return Parsed<ImmutableArray<string>>.Success(["*"]);
            }

            return items.FirstOrDefault(i => !OriginPattern().IsMatch(i)) is { } bad
                ? Parsed<ImmutableArray<string>>.Failure(bad)
                : items.Length == 0 ? Parsed<ImmutableArray<string>>.Failure()
                : Parsed<ImmutableArray<string>>.Success([.. items.Select(i => i.ToLowerInvariant())]);
        },
        value => value.IsDefaultOrEmpty ? null : string.Join(", ", value));

    /// <summary>Comma-separated tokens (methods or header names, "*" included), as written.</summary>
    public static AnnotationType<ImmutableArray<string>> TokenList(string name, string example) => new($"{name} list", $"comma-separated {name}s ({example})",
        $"is not a valid {name}",
        text =>
        {
            var items = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return items.FirstOrDefault(i => !Token().IsMatch(i)) is { } bad ? Parsed<ImmutableArray<string>>.Failure(bad)
                : Parsed<ImmutableArray<string>>.Success([.. items.Distinct(StringComparer.OrdinalIgnoreCase)]);
        },
        value => value.IsDefaultOrEmpty ? null : string.Join(", ", value));

    /// <summary>Whole seconds, 0 or more.</summary>
    public static AnnotationType<TimeSpan> WholeSeconds { get; } = new("seconds", "0 or more", "is not a whole number of seconds",
        text => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) ? Parsed<TimeSpan>.Success(TimeSpan.FromSeconds(seconds)) : Parsed<TimeSpan>.Failure(),
        value => ((long)value.TotalSeconds).ToString(CultureInfo.InvariantCulture));

    /// <summary>ingress-nginx's auth-type, less digest (an htpasswd file holds no digest secrets).</summary>
    public static AnnotationType<string?> AuthType { get; } = new("enum", "basic", "is not supported: the only auth-type is basic (digest needs an htdigest file this controller does not read)",
        text => text == "basic" ? Parsed<string?>.Success(text) : Parsed<string?>.Failure());

    /// <summary>A Secret's "name", or "namespace/name".</summary>
    public static AnnotationType<string?> SecretReference { get; } = new("Secret", "a Secret's name, or namespace/name", "is not a Secret name (name or namespace/name)",
        text => text.Split('/') is { Length: <= 2 } parts && parts.All(p => p.Length <= 253 && ObjectName().IsMatch(p))
            ? Parsed<string?>.Success(text) : Parsed<string?>.Failure());

    /// <summary>ingress-nginx's auth-secret-type.</summary>
    public static AnnotationType<bool> AuthSecretIsMap { get; } = new("enum", "auth-file, auth-map", "is not auth-file or auth-map",
        text => text switch { "auth-file" => Parsed<bool>.Success(false), "auth-map" => Parsed<bool>.Success(true), _ => Parsed<bool>.Failure() },
        value => value ? "auth-map" : "auth-file");

    /// <summary>An absolute http(s) URL that may hold the variables of <see cref="AuthUrlVariables"/>.</summary>
    public static AnnotationType<string?> AuthUrl { get; } = new("URL", $"an absolute http or https URL; may use {string.Join(", ", AuthUrlVariables)}",
        $"is not an absolute http or https URL to a host other than a link-local address (the cloud metadata service) (variables allowed: {string.Join(", ", AuthUrlVariables)})",
        text =>
        {
            if (Variable().Matches(text).FirstOrDefault(m => !AuthUrlVariables.Contains(m.Value)) is { } unknown)
            {
                return Parsed<string?>.Failure(unknown.Value);
            }

            // A sample expansion must be a URL: "$host" stands for a host name, the others for a path.
            var sample = text.Replace("$http_host", "example.test", StringComparison.Ordinal).Replace("$host", "example.test", StringComparison.Ordinal)
                .Replace("$scheme", "http", StringComparison.Ordinal).Replace("$escaped_request_uri", "%2F", StringComparison.Ordinal).Replace("$request_uri", "/", StringComparison.Ordinal);
            if (!Uri.TryCreate(sample, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                return Parsed<string?>.Failure();
            }

            // Every edge would call it for every request, and copy its answer's headers upstream: an Ingress
            // must not turn the edges into a reader of the node's cloud credentials.
            return System.Net.IPAddress.TryParse(uri.IdnHost, out var ip) && IsLinkLocal(ip) ? Parsed<string?>.Failure(uri.Host) : Parsed<string?>.Success(text);
        });

    private static bool IsLinkLocal(System.Net.IPAddress ip) =>
        ip.IsIPv6LinkLocal || (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).GetAddressBytes() is [169, 254, _, _];

    /// <summary>An HTTP method, upper case, as ingress-nginx's auth-method accepts.</summary>
    public static AnnotationType<string> HttpMethod { get; } = new("method", "GET, HEAD, POST, PUT, PATCH, DELETE, CONNECT, OPTIONS, TRACE",
        "is not an HTTP method (GET, HEAD, POST, PUT, PATCH, DELETE, CONNECT, OPTIONS, TRACE)",
        text => text is "GET" or "HEAD" or "POST" or "PUT" or "PATCH" or "DELETE" or "CONNECT" or "OPTIONS" or "TRACE" ? Parsed<string>.Success(text) : Parsed<string>.Failure());

    /// <summary>A query parameter name.</summary>
    public static AnnotationType<string> QueryParameter { get; } = new("name", "a query parameter name (letters, digits, - . _ ~)", "is not a query parameter name",
        text => QueryName().IsMatch(text) ? Parsed<string>.Success(text) : Parsed<string>.Failure());
}
