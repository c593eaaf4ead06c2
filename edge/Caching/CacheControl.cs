using System.Globalization;
using Microsoft.Extensions.Primitives;

namespace Orleans.Proxy.Edge.Caching;

/// <summary>
/// The Cache-Control directives this cache acts on (RFC 9111 section 5.2, RFC 5861), parsed from
/// every field line. A delta-seconds that does not parse reads as 0 (stale), as section 4.2.1 advises;
/// a duplicate directive keeps its first value.
/// </summary>
internal readonly record struct CacheControl(
    bool NoStore,
    bool NoCache,
    bool Private,
    bool Public,
    bool MustRevalidate,
    bool ProxyRevalidate,
    bool OnlyIfCached,
    TimeSpan? MaxAge,
    TimeSpan? SharedMaxAge,
    TimeSpan? MaxStale,
    TimeSpan? MinFresh,
    TimeSpan? StaleWhileRevalidate,
    TimeSpan? StaleIfError)
{
    /// <summary>max-stale without a value: any staleness is acceptable.</summary>
    public static readonly TimeSpan Unbounded = TimeSpan.MaxValue;

    public static CacheControl Parse(StringValues fields)
    {
        var cc = default(CacheControl);
        foreach (var field in fields)
        {
            if (string.IsNullOrEmpty(field))
            {
                continue;
            }

            foreach (var (name, value) in Directives(field))
            {
                switch (name.ToLowerInvariant())
                {
                    case "no-store": cc = cc with { NoStore = true }; break;
                    // no-cache and private with field names are read as the whole response (stricter).
                    case "no-cache": cc = cc with { NoCache = true }; break;
                    case "private": cc = cc with { Private = true }; break;
                    case "public": cc = cc with { Public = true }; break;
                    case "must-revalidate": cc = cc with { MustRevalidate = true }; break;
                    case "proxy-revalidate": cc = cc with { ProxyRevalidate = true }; break;
                    case "only-if-cached": cc = cc with { OnlyIfCached = true }; break;
                    case "max-age": cc = cc with { MaxAge = cc.MaxAge ?? Seconds(value) }; break;
                    case "s-maxage": cc = cc with { SharedMaxAge = cc.SharedMaxAge ?? Seconds(value) }; break;
                    case "max-stale": cc = cc with { MaxStale = cc.MaxStale ?? (value is null ? Unbounded : Seconds(value)) }; break;
                    case "min-fresh": cc = cc with { MinFresh = cc.MinFresh ?? Seconds(value) }; break;
                    case "stale-while-revalidate": cc = cc with { StaleWhileRevalidate = cc.StaleWhileRevalidate ?? Seconds(value) }; break;
                    case "stale-if-error": cc = cc with { StaleIfError = cc.StaleIfError ?? Seconds(value) }; break;
                }
            }
        }

        return cc;
    }

    /// <summary>delta-seconds (RFC 9111 section 1.2.2): digits only; too large reads as 2^31 seconds; anything else as 0.</summary>
    internal static TimeSpan Seconds(string? value)
    {
        if (value is null || value.Length == 0 || !value.All(char.IsAsciiDigit))
        {
            return TimeSpan.Zero;
        }

        return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds < int.MaxValue
            ? TimeSpan.FromSeconds(seconds)
            : TimeSpan.FromSeconds(int.MaxValue);
    }

    /// <summary>Splits "a, b=1, c=\"x, y\"" into directives, honouring quoted strings.</summary>
    internal static IEnumerable<(string Name, string? Value)> Directives(string field)
    {
        var i = 0;
        while (i < field.Length)
        {
            while (i < field.Length && (field[i] == ',' || char.IsWhiteSpace(field[i])))
            {
                i++;
            }

            var start = i;
            while (i < field.Length && field[i] != ',' && field[i] != '=')
            {
                i++;
            }

            var name = field[start..i].Trim();
            string? value = null;
            if (i < field.Length && field[i] == '=')
            {
                i++;
                while (i < field.Length && field[i] == ' ')
                {
                    i++;
                }

                if (i < field.Length && field[i] == '"')
                {
                    var close = i + 1;
                    while (close < field.Length && field[close] != '"')
                    {
                        close += field[close] == '\\' ? 2 : 1;
                    }

                    value = field[(i + 1)..Math.Min(close, field.Length)];
                    i = close + 1;
                    while (i < field.Length && field[i] != ',')
                    {
                        i++;
                    }
                }
                else
                {
                    start = i;
                    while (i < field.Length && field[i] != ',')
                    {
                        i++;
                    }

                    value = field[start..i].Trim();
                }
            }

            if (name.Length > 0)
            {
                yield return (name, value);
            }
        }
    }
}
