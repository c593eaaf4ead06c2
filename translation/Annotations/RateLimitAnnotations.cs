using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Orleans.Proxy.RateLimiting;

using Orleans.Proxy.Translation.Ingress;

namespace Orleans.Proxy.Translation.Annotations;

/// <summary>
/// Reads an Ingress's rate-limit annotations: ours (orleans-proxy.io/rate-limit-*) and
/// ingress-nginx's (limit-rps, limit-rpm, limit-burst-multiplier, limit-whitelist, with
/// ingress-nginx's meaning). A malformed value is rejected alone: without a valid rate there is
/// no policy; a malformed burst, key or whitelist falls back to its default (limiting more, never less).
/// </summary>
internal static partial class RateLimitAnnotations
{
    /// <summary>ingress-nginx's default: burst = rate x 5.</summary>
    public const int NginxDefaultBurstMultiplier = 5;

    /// <summary>The policies for every route of the Ingress <paramref name="objectKey"/> ("namespace/name").</summary>
    public static ImmutableArray<RateLimitSpec> Read(AnnotationReader annotations, string objectKey)
    {
        var policies = ImmutableArray.CreateBuilder<RateLimitSpec>();
        if (ReadOwn(annotations, objectKey) is { } own)
        {
            policies.Add(own);
        }

        policies.AddRange(ReadNginx(annotations, objectKey));
        return policies.ToImmutable();
    }

    private static RateLimitSpec? ReadOwn(AnnotationReader annotations, string objectKey)
    {
        var rps = ReadCount(annotations, AnnotationNames.RateLimitRps, allowZero: false);
        var rpm = ReadCount(annotations, AnnotationNames.RateLimitRpm, allowZero: false);
        var burstText = annotations.Value(AnnotationNames.RateLimitBurst);
        var keyText = annotations.Value(AnnotationNames.RateLimitKey);
        var whitelistText = annotations.Value(AnnotationNames.RateLimitWhitelist);
        if (rps is not null && rpm is not null)
        {
            annotations.Reject(AnnotationNames.RateLimitRpm, $"set either {AnnotationNames.RateLimitRps} or {AnnotationNames.RateLimitRpm}, not both; the per-second limit applies");
            rpm = null;
        }

        if (rps is null && rpm is null)
        {
            // A malformed rate is already rejected; otherwise the other settings were given without a rate.
            if (annotations.Value(AnnotationNames.RateLimitRps) is null && annotations.Value(AnnotationNames.RateLimitRpm) is null)
            {
                foreach (var (name, text) in new[] { (AnnotationNames.RateLimitBurst, burstText), (AnnotationNames.RateLimitKey, keyText), (AnnotationNames.RateLimitWhitelist, whitelistText) })
                {
                    if (text is not null)
                    {
                        annotations.Reject(name, $"has no effect without {AnnotationNames.RateLimitRps} or {AnnotationNames.RateLimitRpm}");
                    }
                }
            }

            return null;
        }

        var (permits, period) = rps is { } perSecond ? (perSecond, RateLimitPeriod.Second) : (rpm!.Value, RateLimitPeriod.Minute);
        var burst = ReadCount(annotations, AnnotationNames.RateLimitBurst, allowZero: true) ?? permits;
        var (key, header) = ReadKey(annotations, keyText);
        var whitelist = ReadWhitelist(annotations, AnnotationNames.RateLimitWhitelist);
        return new RateLimitSpec($"{objectKey}/rate-limit", permits, period, burst, key, header, whitelist);
    }

    private static IEnumerable<RateLimitSpec> ReadNginx(AnnotationReader annotations, string objectKey)
    {
        // ingress-nginx: 0 (or absent) means no limit; each of rps and rpm is its own zone, and both apply.
        var rps = ReadCount(annotations, AnnotationNames.NginxLimitRps, allowZero: true);
        var rpm = ReadCount(annotations, AnnotationNames.NginxLimitRpm, allowZero: true);
        var multiplierText = annotations.Value(AnnotationNames.NginxLimitBurstMultiplier);
        var multiplier = NginxDefaultBurstMultiplier;
        if (multiplierText is not null)
        {
            if (int.TryParse(multiplierText, NumberStyles.None, CultureInfo.InvariantCulture, out var m) && m > 0)
            {
                multiplier = m;
            }
            else
            {
                annotations.Reject(AnnotationNames.NginxLimitBurstMultiplier, $"'{multiplierText}' is not a positive integer; the default multiplier {NginxDefaultBurstMultiplier} applies");
            }
        }

        var whitelist = ReadWhitelist(annotations, AnnotationNames.NginxLimitWhitelist);
        if (rps is > 0)
        {
            yield return new RateLimitSpec($"{objectKey}/nginx-rps", rps.Value, RateLimitPeriod.Second, Burst(rps.Value, multiplier), RateLimitKeyKind.ClientIp, null, whitelist);
        }

        if (rpm is > 0)
        {
            yield return new RateLimitSpec($"{objectKey}/nginx-rpm", rpm.Value, RateLimitPeriod.Minute, Burst(rpm.Value, multiplier), RateLimitKeyKind.ClientIp, null, whitelist);
        }
    }

    private static int Burst(int permits, int multiplier) => (int)Math.Min(int.MaxValue, (long)permits * multiplier);

    private static int? ReadCount(AnnotationReader annotations, string annotation, bool allowZero)
    {
        var text = annotations.Value(annotation);
        if (text is null)
        {
            return null;
        }

        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && (allowZero || value > 0))
        {
            return value;
        }

        annotations.Reject(annotation, $"'{text}' is not a {(allowZero ? "non-negative" : "positive")} integer (expected e.g. \"10\")");
        return null;
    }

    private static (RateLimitKeyKind Key, string? Header) ReadKey(AnnotationReader annotations, string? text)
    {
        switch (text?.ToLowerInvariant())
        {
            case null or "client-ip":
                return (RateLimitKeyKind.ClientIp, null);
            case "route":
                return (RateLimitKeyKind.Route, null);
            case "host":
                return (RateLimitKeyKind.Host, null);
        }

        if (text.StartsWith("header:", StringComparison.OrdinalIgnoreCase) && HeaderNamePattern().IsMatch(text["header:".Length..].Trim()))
        {
            return (RateLimitKeyKind.Header, text["header:".Length..].Trim());
        }

        annotations.Reject(AnnotationNames.RateLimitKey, $"'{text}' is not one of client-ip, header:NAME, route, host; client-ip applies");
        return (RateLimitKeyKind.ClientIp, null);
    }

    private static ImmutableArray<string> ReadWhitelist(AnnotationReader annotations, string annotation) =>
        annotations.Networks(annotation, "no address is exempt") ?? [];

    [GeneratedRegex(@"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")]
    private static partial Regex HeaderNamePattern();
}
