using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using Orleans.Proxy.Caching;

namespace Orleans.Proxy.Translation.Annotations;

/// <summary>
/// Reads orleans-proxy.io/cache and its settings. A malformed setting is rejected alone and left at
/// its default (which caches less, never more); the other cache-* names without cache: "true" are
/// reported as having no effect.
/// </summary>
internal static partial class CacheAnnotations
{
    private static readonly string[] Settings =
    [
        AnnotationNames.CacheDefaultTtl, AnnotationNames.CacheContentTypes, AnnotationNames.CacheMaxObjectSize,
        AnnotationNames.CacheVaryHeaders, AnnotationNames.CacheStaleIfError,
    ];

    public static CacheSpec? Read(AnnotationReader annotations)
    {
        var switchText = annotations.Value(AnnotationNames.Cache);
        if (switchText is not ("true" or "false") && switchText is not null)
        {
            annotations.Reject(AnnotationNames.Cache, $"'{switchText}' is not true or false; caching stays off");
        }

        if (switchText != "true")
        {
            foreach (var name in Settings.Where(n => annotations.Value(n) is not null))
            {
                annotations.Reject(name, $"has no effect without {AnnotationNames.Cache}: \"true\"");
            }

            return null;
        }

        var ttl = Duration(annotations, AnnotationNames.CacheDefaultTtl);
        var staleIfError = Duration(annotations, AnnotationNames.CacheStaleIfError);
        var size = Size(annotations, AnnotationNames.CacheMaxObjectSize);
        var types = List(annotations, AnnotationNames.CacheContentTypes, MediaRangePattern(), "a media type or range (e.g. text/html, image/*)");
        var vary = List(annotations, AnnotationNames.CacheVaryHeaders, HeaderNamePattern(), "a header name");
        return new CacheSpec(ttl, types, size, [.. vary.Select(v => v.ToLowerInvariant()).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)], staleIfError);
    }

    /// <summary>"30s", "5m", "2h", "1d", "500ms", or whole seconds ("60").</summary>
    internal static TimeSpan? ParseDuration(string text)
    {
        var match = DurationPattern().Match(text);
        if (!match.Success || !long.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > 10L * 365 * 86400)
        {
            return null;
        }

        return match.Groups[2].Value switch
        {
            "" or "s" => TimeSpan.FromSeconds(n),
            "ms" => TimeSpan.FromMilliseconds(n),
            "m" => TimeSpan.FromMinutes(n),
            "h" => TimeSpan.FromHours(n),
            "d" => TimeSpan.FromDays(n),
            _ => null,
        };
    }

    /// <summary>"1048576", "512k", "8m", "1g" (powers of 1024, as nginx reads sizes).</summary>
    internal static long? ParseSize(string text)
    {
        var match = SizePattern().Match(text.ToLowerInvariant());
        if (!match.Success || !long.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > (1L << 40))
        {
            return null;
        }

        return match.Groups[2].Value switch
        {
            "k" => n * 1024,
            "m" => n * 1024 * 1024,
            "g" => n * 1024 * 1024 * 1024,
            _ => n,
        };
    }

    private static TimeSpan? Duration(AnnotationReader annotations, string name)
    {
        var text = annotations.Value(name);
        if (text is null)
        {
            return null;
        }

        if (ParseDuration(text) is { } duration)
        {
            return duration;
        }

        annotations.Reject(name, $"'{text}' is not a duration (e.g. 60s, 5m, 1h, or whole seconds); ignored");
        return null;
    }

    private static long? Size(AnnotationReader annotations, string name)
    {
        var text = annotations.Value(name);
        if (text is null)
        {
            return null;
        }

        if (ParseSize(text) is { } size and > 0)
        {
            return size;
        }

        annotations.Reject(name, $"'{text}' is not a positive size (e.g. 1048576, 512k, 8m); the edge's Caching:MaxObjectBytes applies");
        return null;
    }

    private static ImmutableArray<string> List(AnnotationReader annotations, string name, Regex pattern, string what)
    {
        var text = annotations.Value(name);
        if (text is null)
        {
            return [];
        }

        var items = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (items.FirstOrDefault(i => !pattern.IsMatch(i)) is { } bad)
        {
            annotations.Reject(name, $"'{bad}' is not {what}; the annotation is ignored");
            return [];
        }

        return [.. items.Select(i => i.ToLowerInvariant())];
    }

    [GeneratedRegex(@"^(\d+)(ms|s|m|h|d)?$")]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"^(\d+)([kmg]?)$")]
    private static partial Regex SizePattern();

    [GeneratedRegex(@"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/(\*|[!#$%&'*+\-.^_`|~0-9A-Za-z]+)$")]
    private static partial Regex MediaRangePattern();

    [GeneratedRegex(@"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")]
    private static partial Regex HeaderNamePattern();
}
