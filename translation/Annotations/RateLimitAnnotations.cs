using System.Collections.Immutable;
using Orleans.Proxy.RateLimiting;
using T = Orleans.Proxy.Translation.Annotations.AnnotationTable;

namespace Orleans.Proxy.Translation.Annotations;

/// <summary>
/// Reads an Ingress's rate-limit annotations through <see cref="AnnotationTable"/>: ours
/// (orleans-proxy.io/rate-limit-*) and ingress-nginx's (limit-rps, limit-rpm, limit-burst-multiplier,
/// limit-whitelist, with ingress-nginx's meaning). A malformed value is rejected alone: without a valid
/// rate there is no policy; a malformed burst, key or whitelist falls back to its default (limiting more, never less).
/// </summary>
internal static class RateLimitAnnotations
{
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
        var rps = annotations.Read(T.RateLimitRps);
        var rpm = annotations.Read(T.RateLimitRpm);
        var perMinute = rpm.IsValid;
        if (rps.IsValid && rpm.IsValid)
        {
            annotations.Reject(T.RateLimitRpm.Name, $"set either {T.RateLimitRps.Name} or {T.RateLimitRpm.Name}, not both; the per-second limit applies");
            perMinute = false;
        }

        if (!rps.IsValid && !perMinute)
        {
            // A malformed rate is already rejected; otherwise the other settings were given without a rate.
            if (rps.IsAbsent && rpm.IsAbsent)
            {
                foreach (var orphan in new AnnotationDefinition[] { T.RateLimitBurst, T.RateLimitKey, T.RateLimitWhitelist }.Where(annotations.IsSet))
                {
                    annotations.Reject(orphan.Name, $"has no effect without {T.RateLimitRps.Name} or {T.RateLimitRpm.Name}");
                }
            }

            return null;
        }

        var (permits, period) = rps.IsValid ? (rps.Value, RateLimitPeriod.Second) : (rpm.Value, RateLimitPeriod.Minute);
        var burst = annotations.Read(T.RateLimitBurst) is { IsValid: true } b ? b.Value : permits;
        var (key, header) = annotations.Read(T.RateLimitKey).Value;
        var whitelist = annotations.Read(T.RateLimitWhitelist).Value;
        return new RateLimitSpec($"{objectKey}/rate-limit", permits, period, burst, key, header, whitelist);
    }

    private static IEnumerable<RateLimitSpec> ReadNginx(AnnotationReader annotations, string objectKey)
    {
        // ingress-nginx: 0 (or absent) means no limit; each of rps and rpm is its own zone, and both apply.
        var rps = annotations.Read(T.NginxLimitRps).Value;
        var rpm = annotations.Read(T.NginxLimitRpm).Value;
        var multiplier = annotations.Read(T.NginxLimitBurstMultiplier).Value;
        var whitelist = annotations.Read(T.NginxLimitWhitelist).Value;
        if (rps > 0)
        {
            yield return new RateLimitSpec($"{objectKey}/nginx-rps", rps, RateLimitPeriod.Second, Burst(rps, multiplier), RateLimitKeyKind.ClientIp, null, whitelist);
        }

        if (rpm > 0)
        {
            yield return new RateLimitSpec($"{objectKey}/nginx-rpm", rpm, RateLimitPeriod.Minute, Burst(rpm, multiplier), RateLimitKeyKind.ClientIp, null, whitelist);
        }

        if (ReadGlobal(annotations, objectKey) is { } global)
        {
            yield return global;
        }
    }

    /// <summary>
    /// ingress-nginx's global-rate-limit: limit requests per window, one counter for every path of the Ingress.
    /// Here a token bucket of one window's requests, refilled at limit / window in whole requests per second,
    /// else per minute (rounded down, at least one), shared by every edge through the rate-limit grains.
    /// </summary>
    private static RateLimitSpec? ReadGlobal(AnnotationReader annotations, string objectKey)
    {
        var limit = annotations.Read(T.NginxGlobalRateLimit);
        var window = annotations.Read(T.NginxGlobalRateLimitWindow);
        var key = annotations.Read(T.NginxGlobalRateLimitKey).Value;
        var ignored = annotations.Read(T.NginxGlobalRateLimitIgnoredCidrs).Value;
        if (limit.IsAbsent && !window.IsAbsent)
        {
            annotations.Reject(T.NginxGlobalRateLimitWindow.Name, $"has no effect without {T.NginxGlobalRateLimit.Name}");
        }

        if (limit.IsValid && limit.Value > 0 && window.IsAbsent)
        {
            annotations.Reject(T.NginxGlobalRateLimit.Name, $"needs {T.NginxGlobalRateLimitWindow.Name} (e.g. 1m); there is no global limit");
        }

        if (!limit.IsValid || limit.Value == 0 || !window.IsValid)
        {
            foreach (var orphan in new AnnotationDefinition[] { T.NginxGlobalRateLimitKey, T.NginxGlobalRateLimitIgnoredCidrs }.Where(annotations.IsSet))
            {
                annotations.Reject(orphan.Name, $"has no effect without {T.NginxGlobalRateLimit.Name} and {T.NginxGlobalRateLimitWindow.Name}");
            }

            return null;
        }

        var seconds = window.Value.TotalSeconds;
        var (permits, period) = limit.Value % seconds == 0 ? ((int)(limit.Value / seconds), RateLimitPeriod.Second)
            : ((int)Math.Max(1, Math.Floor(limit.Value * 60 / seconds)), RateLimitPeriod.Minute);
        return new RateLimitSpec($"{objectKey}/nginx-global", permits, period, limit.Value, key.Kind, key.Header, ignored);
    }

    private static int Burst(int permits, int multiplier) => (int)Math.Min(int.MaxValue, (long)permits * multiplier);
}
