using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Orleans.Proxy.RateLimiting;
using Orleans.Proxy.Translation.Ingress.Rules;

namespace Orleans.Proxy.Translation.Annotations;

/// <summary>The value types of the headers, redirect, affinity-cookie, canary, global-rate-limit and mirror annotations.</summary>
internal static partial class AnnotationTypes
{
    /// <summary>The longest regex accepted in an annotation.</summary>
    public const int MaxPatternLength = 1024;

    [GeneratedRegex(@"^[\x21-\x7E][\x20-\x7E]*$")]
    private static partial Regex VisibleText();

    [GeneratedRegex(@"^\$http_(?<name>[A-Za-z0-9_\-]+)$")]
    private static partial Regex HttpVariable();

    /// <summary>A Host header value: a DNS name or IP literal, with an optional port.</summary>
    public static AnnotationType<string?> HostHeader { get; } = new("host", "a host name, optionally with a port (api.internal, api.internal:8080)",
        "is not a host name with an optional port (e.g. api.internal or api.internal:8080)",
        text =>
        {
            var parts = text.Split(':');
            var port = parts.Length == 2 ? parts[1] : "80";
            return parts.Length <= 2 && Uri.CheckHostName(parts[0]) is UriHostNameType.Dns or UriHostNameType.IPv4
                && ushort.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number > 0
                ? Parsed<string?>.Success(text.ToLowerInvariant()) : Parsed<string?>.Failure();
        });

    /// <summary>Printable ASCII text without line breaks, as a header value must be.</summary>
    public static AnnotationType<string?> HeaderText { get; } = new("string", "printable text (a header value)", "is not a valid header value (printable ASCII, no line breaks)",
        text => VisibleText().IsMatch(text) ? Parsed<string?>.Success(text) : Parsed<string?>.Failure());

    /// <summary>Comma-separated host names (DNS names or '*.' wildcards), lower-cased.</summary>
    public static AnnotationType<ImmutableArray<string>> HostNames { get; } = new("host list", "comma-separated host names (www.example.com, *.example.org)",
        "is not a host name (a DNS name, or '*.' followed by one)",
        text =>
        {
            var hosts = ImmutableArray.CreateBuilder<string>();
            foreach (var item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (IngressRules.NormalizeHost(item) is not { } host || host == Ingress.IngressConverter.AnyHost)
                {
                    return Parsed<ImmutableArray<string>>.Failure(item);
                }

                hosts.Add(host);
            }

            return Parsed<ImmutableArray<string>>.Success([.. hosts.Distinct(StringComparer.Ordinal)]);
        },
        value => value.IsDefaultOrEmpty ? null : string.Join(", ", value));

    /// <summary>A ConfigMap in the Ingress's namespace: "name" or "namespace/name".</summary>
    public static AnnotationType<(string? Namespace, string Name)> ConfigMapRef { get; } = new("ConfigMap", "a ConfigMap name, or namespace/name (the Ingress's namespace)",
        "is not a ConfigMap name or namespace/name",
        text => text.Split('/') switch
        {
            [var name] when IngressRules.NormalizeHost(name) == name && !name.Contains('*', StringComparison.Ordinal) => Parsed<(string?, string)>.Success((null, name)),
            [var ns, var name] when IngressRules.NormalizeHost(ns) == ns && IngressRules.NormalizeHost(name) == name && !text.Contains('*', StringComparison.Ordinal)
                => Parsed<(string?, string)>.Success((ns, name)),
            _ => Parsed<(string?, string)>.Failure(),
        },
        value => null);

    /// <summary>A Service name (a DNS label).</summary>
    public static AnnotationType<string?> ServiceName { get; } = new("Service name", "the name of a Service in the Ingress's namespace", "is not a Service name",
        text => IngressRules.NormalizeHost(text) == text && !text.Contains('.', StringComparison.Ordinal) && !text.Contains('*', StringComparison.Ordinal)
            ? Parsed<string?>.Success(text) : Parsed<string?>.Failure());

    /// <summary>A 3xx status code.</summary>
    public static AnnotationType<int> RedirectCode { get; } = Integer(300, 308);

    /// <summary>A .NET regular expression (run without backtracking), checked by compiling it.</summary>
    public static AnnotationType<string?> Pattern { get; } = new("regex", ".NET regular expression, without backreferences or lookarounds (run without backtracking)",
        "is not a regular expression this proxy runs (.NET syntax, no backreferences or lookarounds)",
        text =>
        {
            if (text.Length > MaxPatternLength)
            {
                return Parsed<string?>.Failure();
            }

            try
            {
                _ = new Regex(text, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant);
                return Parsed<string?>.Success(text);
            }
            catch (Exception e) when (e is ArgumentException or NotSupportedException)
            {
                return Parsed<string?>.Failure();
            }
        });

    /// <summary>ingress-nginx's affinity-mode: "balanced" or "persistent"; true: persistent.</summary>
    public static AnnotationType<bool> AffinityPersistence { get; } = new("enum", "balanced, persistent", "is not balanced or persistent",
        text => text switch { "balanced" => Parsed<bool>.Success(false), "persistent" => Parsed<bool>.Success(true), _ => Parsed<bool>.Failure() },
        value => value ? "persistent" : "balanced");

    /// <summary>A cookie's SameSite: None, Lax or Strict (any case), written as browsers expect.</summary>
    public static AnnotationType<string?> SameSite { get; } = new("enum", "None, Lax, Strict", "is not None, Lax or Strict",
        text => text.ToLowerInvariant() switch
        {
            "none" => Parsed<string?>.Success("None"),
            "lax" => Parsed<string?>.Success("Lax"),
            "strict" => Parsed<string?>.Success("Strict"),
            _ => Parsed<string?>.Failure(),
        });

    /// <summary>A cookie Path: an absolute path without ';', ',' or spaces.</summary>
    public static AnnotationType<string?> CookiePath { get; } = new("path", "an absolute path (/app)", "is not an absolute path without ';', ',' or spaces (e.g. /app)",
        text => text.StartsWith('/') && VisibleText().IsMatch(text) && text.IndexOfAny([';', ',', ' ']) < 0 ? Parsed<string?>.Success(text) : Parsed<string?>.Failure());

    /// <summary>ingress-nginx's global-rate-limit-key, as far as it names one request property: $remote_addr or $http_NAME.</summary>
    public static AnnotationType<(RateLimitKeyKind Kind, string? Header)> GlobalRateLimitKey { get; } = new("nginx variable", "$remote_addr, $http_NAME",
        "is not supported: use $remote_addr or $http_<header> (a single variable)",
        text =>
        {
            var unbraced = text.StartsWith("${", StringComparison.Ordinal) && text.EndsWith('}') ? "$" + text[2..^1] : text;
            var header = HttpVariable().Match(unbraced);
            return unbraced == "$remote_addr" ? Parsed<(RateLimitKeyKind, string?)>.Success((RateLimitKeyKind.ClientIp, null))
                : header.Success ? Parsed<(RateLimitKeyKind, string?)>.Success((RateLimitKeyKind.Header, header.Groups["name"].Value.Replace('_', '-')))
                : Parsed<(RateLimitKeyKind, string?)>.Failure();
        },
        value => value.Kind == RateLimitKeyKind.ClientIp ? "$remote_addr" : null);

    /// <summary>
    /// A mirror target: an http(s) URL whose host is an IP literal or a Service's cluster DNS name
    /// (service.namespace, service.namespace.svc, service.namespace.svc.cluster.local), with no path
    /// other than "/" or nginx's $request_uri (the copy keeps the request's path and query).
    /// </summary>
    public static AnnotationType<Uri?> MirrorTarget { get; } = new("URL", "http(s)://IP[:port] or http(s)://service.namespace[.svc[.cluster.local]][:port], path empty, / or /$request_uri",
        "is not a mirror target this proxy sends to (http or https; an IP address or a Service's name.namespace; no path but $request_uri)",
        text =>
        {
            var withoutVariable = text.EndsWith("$request_uri", StringComparison.Ordinal) ? text[..^"$request_uri".Length] : text;
            return Uri.TryCreate(withoutVariable, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
                && uri.AbsolutePath == "/" && uri.Query.Length == 0 && uri.UserInfo.Length == 0
                && (IPAddress.TryParse(uri.Host.Trim('[', ']'), out _) || MirrorService(uri.Host) is not null)
                ? Parsed<Uri?>.Success(uri) : Parsed<Uri?>.Failure();
        },
        value => value?.ToString());

    /// <summary>ingress-nginx's mirror-request-body: "on" or "off".</summary>
    public static AnnotationType<bool> OnOff { get; } = new("enum", "on, off", "is not on or off",
        text => text switch { "on" => Parsed<bool>.Success(true), "off" => Parsed<bool>.Success(false), _ => Parsed<bool>.Failure() },
        value => value ? "on" : "off");

    /// <summary>The (namespace, service) a mirror host names in cluster DNS; null when it names none.</summary>
    public static (string Namespace, string Service)? MirrorService(string host)
    {
        var labels = host.ToLowerInvariant().Split('.');
        var clusterName = labels.Length == 2 || (labels.Length == 3 && labels[2] == "svc") || (labels.Length == 5 && labels[2..] is ["svc", "cluster", "local"]);
        return clusterName && IngressRules.NormalizeHost(labels[0]) == labels[0] && IngressRules.NormalizeHost(labels[1]) == labels[1] ? (labels[1], labels[0]) : null;
    }
}
