using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Orleans.Proxy.Affinity;
using Orleans.Proxy.RateLimiting;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.Translation.Annotations;

/// <summary>A parse: the value, or the part of the text that does not parse (the whole text when null).</summary>
internal readonly record struct Parsed<T>(bool Ok, T Value, string? Offending)
{
    public static Parsed<T> Success(T value) => new(true, value, null);

    public static Parsed<T> Failure(string? offending = null) => new(false, default!, offending);
}

/// <summary>
/// The value type of an annotation: its name and what it accepts (for the reference), the phrase a
/// rejection uses ("'x' is not ..."), the parse, and how a value is written in the reference.
/// </summary>
internal sealed class AnnotationType<T>(string name, string accepts, string expectation, Func<string, Parsed<T>> parse, Func<T, string?>? format = null)
{
    /// <summary>The type, e.g. "duration".</summary>
    public string Name { get; } = name;

    /// <summary>The values it accepts, e.g. "100ms to 1h (500ms, 10s, 5m, 1h; a plain number is seconds)".</summary>
    public string Accepts { get; } = accepts;

    /// <summary>What a rejection says of a value that does not parse, after the value: "is not a whole number from 1 to 100".</summary>
    public string Expectation { get; } = expectation;

    public Parsed<T> Parse(string text) => parse(text);

    public string? Format(T value) => format is null ? value?.ToString() : format(value);
}

/// <summary>The value types annotations use; each is declared here once, with its pattern.</summary>
internal static partial class AnnotationTypes
{
    /// <summary>An RFC 9110 token: a header name, and the characters this controller accepts in a cookie name.</summary>
    [GeneratedRegex("%([01][0-9a-fA-F]|7[fF])")]
    internal static partial Regex EncodedControl();

    [GeneratedRegex(@"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")]
    public static partial Regex Token();

    [GeneratedRegex(@"^[A-Za-z0-9\-._~]+$")]
    private static partial Regex QueryName();

    [GeneratedRegex(@"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/(\*|[!#$%&'*+\-.^_`|~0-9A-Za-z]+)$")]
    private static partial Regex MediaRange();

    [GeneratedRegex(@"^(?<n>\d+(\.\d+)?)(?<unit>ms|s|m|h)?$")]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"^(/[A-Za-z0-9\-._~!$&'()*+,;=:@%]*)+(\?[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*)?$")]
    private static partial Regex ProbePath();

    [GeneratedRegex(@"^(\d+)([kKmMgG]?)$")]
    private static partial Regex SizePattern();

    [GeneratedRegex(@"^\$(?<kind>http|cookie)_(?<name>[A-Za-z0-9_\-]+)$")]
    private static partial Regex HashByPattern();

    /// <summary>ingress-nginx's booleans: "true" or "false", any case.</summary>
    public static AnnotationType<bool> Bool { get; } = new("bool", "\"true\" or \"false\"", "is not \"true\" or \"false\"",
        text => bool.TryParse(text, out var value) ? Parsed<bool>.Success(value) : Parsed<bool>.Failure(), Lower);

    /// <summary>Our booleans: "true" or "false", lower case.</summary>
    public static AnnotationType<bool> StrictBool { get; } = new("bool", "true or false", "is not true or false",
        text => text switch { "true" => Parsed<bool>.Success(true), "false" => Parsed<bool>.Success(false), _ => Parsed<bool>.Failure() }, Lower);

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static AnnotationType<int> Integer(int min, int max) => new("integer", $"{min} to {max}", $"is not a whole number from {min} to {max}",
        text => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max ? Parsed<int>.Success(value) : Parsed<int>.Failure());

    /// <summary>A count of requests: positive, or non-negative when 0 has a meaning (e.g. "no limit").</summary>
    public static AnnotationType<int> Count(bool allowZero, bool example = true) => new("integer", allowZero ? "0 or more" : "1 or more",
        $"is not a {(allowZero ? "non-negative" : "positive")} integer{(example ? " (expected e.g. \"10\")" : "")}",
        text => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && (allowZero || value > 0) ? Parsed<int>.Success(value) : Parsed<int>.Failure());

    /// <summary>A fraction above 0 and at most 1.</summary>
    public static AnnotationType<double> Fraction { get; } = new("fraction", "above 0, at most 1", "is not a fraction above 0 and at most 1 (e.g. 0.5)",
        text => double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) && value > 0 && value <= 1 ? Parsed<double>.Success(value) : Parsed<double>.Failure(),
        value => value.ToString(CultureInfo.InvariantCulture));

    /// <summary>"500ms", "10s", "5m", "1h", or a plain number of seconds (as ingress-nginx's max-age), from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static AnnotationType<TimeSpan> Duration(TimeSpan min, TimeSpan max) => new("duration", $"{DurationText(min)} to {DurationText(max)} (500ms, 10s, 5m, 1h; a plain number is seconds)",
        $"is not a duration between {min} and {max} (e.g. 500ms, 10s, 5m, 1h; a plain number is seconds)",
        text => ParseDuration(text) is { } value && value >= min && value <= max ? Parsed<TimeSpan>.Success(value) : Parsed<TimeSpan>.Failure(),
        DurationText);

    /// <summary>ingress-nginx's timeouts: whole seconds from 1 to <paramref name="max"/>.</summary>
    public static AnnotationType<TimeSpan?> Seconds(int max) => new("seconds", $"1 to {max}", $"is not a whole number of seconds from 1 to {max}",
        text => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds is > 0 && seconds <= max
            ? Parsed<TimeSpan?>.Success(TimeSpan.FromSeconds(seconds)) : Parsed<TimeSpan?>.Failure(),
        value => value is { } v ? DurationText(v) : null);

    /// <summary>nginx size syntax: bytes, or a number with k, m or g; "0" turns the check off.</summary>
    public static AnnotationType<long?> Size { get; } = new("size", "bytes, or a number with k, m or g (8m, 512k, 1g); 0: no limit",
        "is not a size (e.g. 8m, 512k, 1g, or 0 for no limit)", ParseSize);

    /// <summary>A comma-separated list of CIDR ranges or addresses, normalized to CIDR.</summary>
    public static AnnotationType<ImmutableArray<string>> Networks { get; } = new("CIDR list", "comma-separated CIDR ranges or addresses (10.0.0.0/8, 192.168.1.7)",
        "is not an IP address or CIDR range (e.g. 10.0.0.0/8)", ParseNetworks, value => value.IsDefaultOrEmpty ? null : string.Join(", ", value));

    /// <summary>"Name=value, Name2=value2", names being header names.</summary>
    public static AnnotationType<ImmutableArray<(string Name, string Value)>> HeaderPairs { get; } = Pairs("X-Env=canary, X-Team=web", Token());

    /// <summary>"name=value, name2=value2", names being query parameter names.</summary>
    public static AnnotationType<ImmutableArray<(string Name, string Value)>> QueryPairs { get; } = Pairs("X-Env=canary, X-Team=web", QueryName());

    /// <summary>A positive size: bytes, or a number with k, m or g (powers of 1024, as nginx reads sizes).</summary>
    public static AnnotationType<long?> PositiveSize { get; } = new("size", "bytes, or a number with k, m or g (1048576, 512k, 8m), above 0",
        "is not a positive size (e.g. 1048576, 512k, 8m)",
        text => ParseSize(text) is { Ok: true, Value: > 0 } parsed ? parsed : Parsed<long?>.Failure());

    /// <summary>Comma-separated media types or ranges ("text/html, image/*"), lower-cased.</summary>
    public static AnnotationType<ImmutableArray<string>> MediaRanges { get; } = List("media type list", "comma-separated media types or ranges (text/html, image/*)",
        "is not a media type or range (e.g. text/html, image/*)", MediaRange());

    /// <summary>Comma-separated header names, lower-cased, sorted and without duplicates.</summary>
    public static AnnotationType<ImmutableArray<string>> HeaderNames { get; } = List("header name list", "comma-separated header names (X-Tenant, Accept-Language)",
        "is not a header name", Token(), sorted: true);

    /// <summary>A header name (a token).</summary>
    public static AnnotationType<string?> HeaderName { get; } = new("header name", "a header name (token)", "is not a valid header name", TokenParse);

    /// <summary>A cookie name (a token); <paramref name="explained"/>: the rejection lists the characters.</summary>
    public static AnnotationType<string?> CookieName(bool explained) => new("cookie name", "letters, digits and !#$%&'*+-.^_`|~",
        explained ? "is not a valid cookie name (letters, digits and !#$%&'*+-.^_`|~)" : "is not a valid cookie name", TokenParse);

    /// <summary>Any text.</summary>
    public static AnnotationType<string?> Text { get; } = new("string", "any text", "is not text", Parsed<string?>.Success);

    /// <summary>An absolute URL path other than '/', e.g. /app.</summary>
    public static AnnotationType<string?> AppRoot { get; } = new("path", "an absolute path other than '/' (/app)", "must be a path other than '/' (e.g. /app)",
        text => text.StartsWith('/') && text.Length > 1 && !text.StartsWith("//", StringComparison.Ordinal) && Uri.IsWellFormedUriString(text, UriKind.Relative)
            ? Parsed<string?>.Success(text) : Parsed<string?>.Failure());

    /// <summary>A rewrite target: a path starting with '/', with $1...$9 for the path regex's groups.</summary>
    /// <remarks>Not "//host" (a browser reads it as another host) and no encoded control characters (an encoded CR/LF survives to logs and backends).</remarks>
    public static AnnotationType<string?> RewriteTarget { get; } = new("path", "a path starting with '/', with $1..$9 for the path regex's groups",
        "must be a path starting with a single '/', without encoded control characters (%00-%1F, %7F)",
        text => text.StartsWith('/') && !text.StartsWith("//", StringComparison.Ordinal) && !EncodedControl().IsMatch(text)
            ? Parsed<string?>.Success(text) : Parsed<string?>.Failure());

    /// <summary>An absolute http or https URL.</summary>
    public static AnnotationType<string?> HttpUrl { get; } = new("URL", "an absolute http or https URL", "is not an absolute http or https URL",
        text => Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? Parsed<string?>.Success(text) : Parsed<string?>.Failure());

    /// <summary>A path to probe, with an optional query.</summary>
    public static AnnotationType<string?> ProbePathType { get; } = new("path", "an absolute URL path, query allowed (/healthz, /ready?deep=1)", "is not an absolute URL path (e.g. /healthz)",
        text => text.StartsWith('/') && ProbePath().IsMatch(text) ? Parsed<string?>.Success(text) : Parsed<string?>.Failure());

    /// <summary>ingress-nginx's backend-protocol, less AJP and FCGI.</summary>
    public static AnnotationType<BackendProtocol?> Protocol { get; } = new("enum", "HTTP, HTTPS, GRPC, GRPCS, H2C (any case)", "is not supported (HTTP, HTTPS, GRPC, GRPCS or H2C)",
        text => text.ToUpperInvariant() switch
        {
            "HTTP" => Parsed<BackendProtocol?>.Success(BackendProtocol.Http),
            "HTTPS" => Parsed<BackendProtocol?>.Success(BackendProtocol.Https),
            "GRPC" => Parsed<BackendProtocol?>.Success(BackendProtocol.Grpc),
            "GRPCS" => Parsed<BackendProtocol?>.Success(BackendProtocol.Grpcs),
            "H2C" => Parsed<BackendProtocol?>.Success(BackendProtocol.H2c),
            _ => Parsed<BackendProtocol?>.Failure(),
        },
        value => value?.ToString().ToUpperInvariant());

    /// <summary>Our rate-limit key: client-ip, header:NAME, route or host.</summary>
    public static AnnotationType<(RateLimitKeyKind Kind, string? Header)> RateLimitKey { get; } = new("enum", "client-ip, header:NAME, route, host", "is not one of client-ip, header:NAME, route, host",
        text => text.ToLowerInvariant() switch
        {
            "client-ip" => Parsed<(RateLimitKeyKind, string?)>.Success((RateLimitKeyKind.ClientIp, null)),
            "route" => Parsed<(RateLimitKeyKind, string?)>.Success((RateLimitKeyKind.Route, null)),
            "host" => Parsed<(RateLimitKeyKind, string?)>.Success((RateLimitKeyKind.Host, null)),
            _ when text.StartsWith("header:", StringComparison.OrdinalIgnoreCase) && Token().IsMatch(text["header:".Length..].Trim())
                => Parsed<(RateLimitKeyKind, string?)>.Success((RateLimitKeyKind.Header, text["header:".Length..].Trim())),
            _ => Parsed<(RateLimitKeyKind, string?)>.Failure(),
        },
        value => value.Kind == RateLimitKeyKind.ClientIp ? "client-ip" : null);

    /// <summary>Our affinity key: cookie, header:NAME or client-ip.</summary>
    public static AnnotationType<(AffinityMode Mode, string Name)> AffinityKey { get; } = new("enum", "cookie, header:NAME, client-ip", "is not cookie, header:NAME (e.g. header:X-User) or client-ip",
        text => text switch
        {
            "cookie" => Parsed<(AffinityMode, string)>.Success((AffinityMode.Cookie, "")),
            "client-ip" => Parsed<(AffinityMode, string)>.Success((AffinityMode.ClientIp, "")),
            _ when text.StartsWith("header:", StringComparison.Ordinal) && Token().IsMatch(text[7..]) => Parsed<(AffinityMode, string)>.Success((AffinityMode.Header, text[7..])),
            _ => Parsed<(AffinityMode, string)>.Failure(),
        });

    /// <summary>ingress-nginx's affinity: cookie only.</summary>
    public static AnnotationType<AffinityMode> NginxAffinity { get; } = new("enum", "cookie", "is not supported: the only affinity type is cookie",
        text => text == "cookie" ? Parsed<AffinityMode>.Success(AffinityMode.Cookie) : Parsed<AffinityMode>.Failure());

    /// <summary>ingress-nginx's upstream-hash-by, as far as it names one request property: $remote_addr, $http_NAME, $cookie_NAME.</summary>
    public static AnnotationType<(AffinityMode Mode, string Name)> HashBy { get; } = new("nginx variable", "$remote_addr, $binary_remote_addr, $http_NAME, $cookie_NAME",
        "is not supported: use $remote_addr, $http_<header> or $cookie_<name> (a single variable)",
        text =>
        {
            var variable = HashByPattern().Match(text);
            return text is "$remote_addr" or "$binary_remote_addr" ? Parsed<(AffinityMode, string)>.Success((AffinityMode.ClientIp, ""))
                : variable.Success && variable.Groups["kind"].Value == "http" ? Parsed<(AffinityMode, string)>.Success((AffinityMode.Header, variable.Groups["name"].Value.Replace('_', '-')))
                : variable.Success && variable.Groups["kind"].Value == "cookie" ? Parsed<(AffinityMode, string)>.Success((AffinityMode.Cookie, variable.Groups["name"].Value))
                : Parsed<(AffinityMode, string)>.Failure();
        });

    /// <summary>"500ms", "10s", "5m", "1h", or a plain number of seconds.</summary>
    internal static TimeSpan? ParseDuration(string text)
    {
        var match = DurationPattern().Match(text);
        if (!match.Success || !double.TryParse(match.Groups["n"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n))
        {
            return null;
        }

        return match.Groups["unit"].Value switch
        {
            "ms" => TimeSpan.FromMilliseconds(n),
            "" or "s" => TimeSpan.FromSeconds(n),
            "m" => TimeSpan.FromMinutes(n),
            _ => TimeSpan.FromHours(n),
        };
    }

    /// <summary>A duration as the annotations write it: 500ms, 10s, 5m, 1h, 30d.</summary>
    internal static string DurationText(TimeSpan value) =>
        value.TotalDays >= 1 && value.TotalDays % 1 == 0 ? $"{value.TotalDays.ToString(CultureInfo.InvariantCulture)}d"
        : value.TotalHours >= 1 && value.TotalHours % 1 == 0 ? $"{value.TotalHours.ToString(CultureInfo.InvariantCulture)}h"
        : value.TotalMinutes >= 1 && value.TotalMinutes % 1 == 0 ? $"{value.TotalMinutes.ToString(CultureInfo.InvariantCulture)}m"
        : value.TotalSeconds >= 1 && value.TotalSeconds % 1 == 0 ? $"{value.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s"
        : $"{value.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)}ms";

    private static AnnotationType<ImmutableArray<string>> List(string name, string accepts, string expectation, Regex pattern, bool sorted = false) =>
        new(name, accepts, expectation,
            text =>
            {
                var items = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                if (items.FirstOrDefault(i => !pattern.IsMatch(i)) is { } bad)
                {
                    return Parsed<ImmutableArray<string>>.Failure(bad);
                }

                var lower = items.Select(i => i.ToLowerInvariant());
                return Parsed<ImmutableArray<string>>.Success(sorted ? [.. lower.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)] : [.. lower]);
            },
            value => value.IsDefaultOrEmpty ? null : string.Join(", ", value));

    private static string Lower(bool value) => value ? "true" : "false";

    private static Parsed<string?> TokenParse(string text) => Token().IsMatch(text) ? Parsed<string?>.Success(text) : Parsed<string?>.Failure();

    private static AnnotationType<ImmutableArray<(string Name, string Value)>> Pairs(string example, Regex namePattern) =>
        new("name=value list", $"comma-separated name=value pairs ({example})", $"is not of the form name=value (expected e.g. \"{example}\")",
            text =>
            {
                var pairs = ImmutableArray.CreateBuilder<(string, string)>();
                foreach (var item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    var separator = item.IndexOf('=', StringComparison.Ordinal);
                    var name = separator > 0 ? item[..separator].Trim() : string.Empty;
                    if (separator <= 0 || !namePattern.IsMatch(name))
                    {
                        return Parsed<ImmutableArray<(string, string)>>.Failure(item);
                    }

                    pairs.Add((name, item[(separator + 1)..].Trim()));
                }

                return Parsed<ImmutableArray<(string, string)>>.Success(pairs.ToImmutable());
            },
            value => value.IsDefaultOrEmpty ? null : string.Join(", ", value.Select(p => $"{p.Name}={p.Value}")));

    private static Parsed<ImmutableArray<string>> ParseNetworks(string text)
    {
        var ranges = ImmutableArray.CreateBuilder<string>();
        foreach (var item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (IPNetwork.TryParse(item, out var network))
            {
                ranges.Add(network.ToString());
            }
            else if (IPAddress.TryParse(item, out var address))
            {
                ranges.Add(new IPNetwork(address, address.GetAddressBytes().Length * 8).ToString());
            }
            else
            {
                return Parsed<ImmutableArray<string>>.Failure(item);
            }
        }

        return Parsed<ImmutableArray<string>>.Success(ranges.ToImmutable());
    }

    private static Parsed<long?> ParseSize(string text)
    {
        var match = SizePattern().Match(text);
        if (match.Success && long.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            var multiplier = match.Groups[2].Value.ToLowerInvariant() switch
            {
                "k" => 1L << 10,
                "m" => 1L << 20,
                "g" => 1L << 30,
                _ => 1L,
            };
            if (number <= long.MaxValue / multiplier)
            {
                return Parsed<long?>.Success(number * multiplier);
            }
        }

        return Parsed<long?>.Failure();
    }
}
