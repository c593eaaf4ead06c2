using System.Globalization;
using System.Text.RegularExpressions;
using Orleans.Proxy.Affinity;
using Orleans.Proxy.Health;

using Orleans.Proxy.Translation.Ingress;

namespace Orleans.Proxy.Translation.Annotations;

/// <summary>Health settings for an Ingress's backends and the affinity of its routes, as its annotations give them.</summary>
internal sealed record HealthAffinitySettings(HealthCheckSpec? HealthCheck, PassiveHealthSpec? PassiveHealth, AffinitySpec? Affinity)
{
    public bool HasHealth => HealthCheck is not null || PassiveHealth is not null;
}

/// <summary>
/// Reads the health-check, passive-health and affinity annotations (ours and the ingress-nginx
/// names that mean the same). A value that does not parse is rejected with the annotation's name
/// and leaves that feature off for the object; the routes still serve.
/// </summary>
internal static partial class HealthAffinityAnnotations
{
    public static HealthAffinitySettings Read(AnnotationReader annotations) =>
        new(ReadHealthCheck(annotations), ReadPassiveHealth(annotations), ReadAffinity(annotations));

    private static HealthCheckSpec? ReadHealthCheck(AnnotationReader a)
    {
        var path = a.Value(AnnotationNames.HealthCheckPath);
        var others = new[] { AnnotationNames.HealthCheckInterval, AnnotationNames.HealthCheckTimeout, AnnotationNames.HealthCheckHealthyThreshold, AnnotationNames.HealthCheckUnhealthyThreshold };
        if (path is null)
        {
            foreach (var name in others.Where(n => a.Value(n) is not null))
            {
                a.Reject(name, $"has no effect without {AnnotationNames.HealthCheckPath}: set the path to probe");
            }

            return null;
        }

        if (!path.StartsWith('/') || !ProbePathPattern().IsMatch(path))
        {
            a.Reject(AnnotationNames.HealthCheckPath, $"'{path}' is not an absolute URL path (e.g. /healthz)");
            return null;
        }

        var interval = Duration(a, AnnotationNames.HealthCheckInterval, HealthCheckSpec.DefaultInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1));
        var timeout = Duration(a, AnnotationNames.HealthCheckTimeout, HealthCheckSpec.DefaultTimeout, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(5));
        var healthy = Integer(a, AnnotationNames.HealthCheckHealthyThreshold, HealthCheckSpec.DefaultHealthyThreshold, 1, 100);
        var unhealthy = Integer(a, AnnotationNames.HealthCheckUnhealthyThreshold, HealthCheckSpec.DefaultUnhealthyThreshold, 1, 100);
        if (interval is null || timeout is null || healthy is null || unhealthy is null)
        {
            return null;
        }

        // A probe still running when the next is due would make rounds overlap: bound it by the interval.
        return new HealthCheckSpec(path, interval.Value, timeout.Value < interval.Value ? timeout.Value : interval.Value, healthy.Value, unhealthy.Value);
    }

    private static PassiveHealthSpec? ReadPassiveHealth(AnnotationReader a)
    {
        var switchText = a.Value(AnnotationNames.PassiveHealth);
        var names = new[] { AnnotationNames.PassiveHealth5xx, AnnotationNames.PassiveHealthFailureRate, AnnotationNames.PassiveHealthMinRequests, AnnotationNames.PassiveHealthWindow, AnnotationNames.PassiveHealthReactivation };
        bool? enabled = switchText switch
        {
            null => null,
            "true" => true,
            "false" => false,
            _ => Invalid<bool>(a, AnnotationNames.PassiveHealth, $"'{switchText}' is not true or false"),
        };
        if (switchText is not null && enabled is null)
        {
            return null;
        }

        if (enabled == false || (enabled is null && names.All(n => a.Value(n) is null)))
        {
            return null;
        }

        var count5xx = a.Value(AnnotationNames.PassiveHealth5xx) switch
        {
            null or "false" => false,
            "true" => true,
            var other => Invalid<bool>(a, AnnotationNames.PassiveHealth5xx, $"'{other}' is not true or false"),
        };
        var rate = Number(a, AnnotationNames.PassiveHealthFailureRate, PassiveHealthSpec.DefaultFailureRate);
        var minimum = Integer(a, AnnotationNames.PassiveHealthMinRequests, PassiveHealthSpec.DefaultMinRequests, 1, 1_000_000);
        var window = Duration(a, AnnotationNames.PassiveHealthWindow, PassiveHealthSpec.DefaultWindow, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        var reactivation = Duration(a, AnnotationNames.PassiveHealthReactivation, PassiveHealthSpec.DefaultReactivationPeriod, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        if (count5xx is null || rate is null || minimum is null || window is null || reactivation is null)
        {
            return null;
        }

        return new PassiveHealthSpec(count5xx.Value, rate.Value, minimum.Value, window.Value, reactivation.Value);
    }

    private static AffinitySpec? ReadAffinity(AnnotationReader a)
    {
        var ours = a.Value(AnnotationNames.Affinity);
        var nginx = a.Value(AnnotationNames.NginxAffinity);
        var hashBy = a.Value(AnnotationNames.NginxUpstreamHashBy);
        AffinityMode mode;
        string name;
        if (ours is not null)
        {
            if (ours == "cookie")
            {
                (mode, name) = (AffinityMode.Cookie, "");
            }
            else if (ours == "client-ip")
            {
                (mode, name) = (AffinityMode.ClientIp, "");
            }
            else if (ours.StartsWith("header:", StringComparison.Ordinal) && HeaderNamePattern().IsMatch(ours[7..]))
            {
                (mode, name) = (AffinityMode.Header, ours[7..]);
            }
            else
            {
                a.Reject(AnnotationNames.Affinity, $"'{ours}' is not cookie, header:NAME (e.g. header:X-User) or client-ip");
                return null;
            }
        }
        else if (nginx is not null)
        {
            if (nginx != "cookie")
            {
                a.Reject(AnnotationNames.NginxAffinity, $"'{nginx}' is not supported: the only affinity type is cookie");
                return null;
            }

            (mode, name) = (AffinityMode.Cookie, "");
        }
        else if (hashBy is not null)
        {
            var variable = HashByPattern().Match(hashBy);
            if (hashBy == "$remote_addr" || hashBy == "$binary_remote_addr")
            {
                (mode, name) = (AffinityMode.ClientIp, "");
            }
            else if (variable.Success && variable.Groups["kind"].Value == "http")
            {
                (mode, name) = (AffinityMode.Header, variable.Groups["name"].Value.Replace('_', '-'));
            }
            else if (variable.Success && variable.Groups["kind"].Value == "cookie")
            {
                (mode, name) = (AffinityMode.Cookie, variable.Groups["name"].Value);
            }
            else
            {
                a.Reject(AnnotationNames.NginxUpstreamHashBy, $"'{hashBy}' is not supported: use $remote_addr, $http_<header> or $cookie_<name> (a single variable)");
                return null;
            }
        }
        else
        {
            foreach (var orphan in new[] { AnnotationNames.AffinityCookieName, AnnotationNames.AffinityTtl }.Where(n => a.Value(n) is not null))
            {
                a.Reject(orphan, $"has no effect without {AnnotationNames.Affinity}");
            }

            return null;
        }

        if (mode == AffinityMode.Cookie && name.Length == 0)
        {
            var cookieAnnotation = a.Value(AnnotationNames.AffinityCookieName) is not null ? AnnotationNames.AffinityCookieName : AnnotationNames.NginxSessionCookieName;
            name = a.Value(cookieAnnotation) ?? AffinitySpec.DefaultCookieName;
            if (!CookieNamePattern().IsMatch(name))
            {
                a.Reject(cookieAnnotation, $"'{name}' is not a valid cookie name (letters, digits and !#$%&'*+-.^_`|~)");
                return null;
            }
        }

        TimeSpan? ttl = a.Value(AnnotationNames.AffinityTtl) is not null
            ? Duration(a, AnnotationNames.AffinityTtl, AffinitySpec.DefaultTtl, TimeSpan.FromSeconds(1), TimeSpan.FromDays(30))
            : Duration(a, AnnotationNames.NginxSessionCookieMaxAge, AffinitySpec.DefaultTtl, TimeSpan.FromSeconds(1), TimeSpan.FromDays(30));
        if (ttl is null)
        {
            return null;
        }

        return new AffinitySpec(mode, name, ttl.Value);
    }

    /// <summary>"500ms", "10s", "5m", "1h", or a plain number of seconds (as ingress-nginx's max-age).</summary>
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

    private static TimeSpan? Duration(AnnotationReader a, string annotation, TimeSpan fallback, TimeSpan min, TimeSpan max)
    {
        if (a.Value(annotation) is not { } text)
        {
            return fallback;
        }

        if (ParseDuration(text) is { } value && value >= min && value <= max)
        {
            return value;
        }

        return Invalid<TimeSpan>(a, annotation, $"'{text}' is not a duration between {min} and {max} (e.g. 500ms, 10s, 5m, 1h; a plain number is seconds)");
    }

    private static int? Integer(AnnotationReader a, string annotation, int fallback, int min, int max)
    {
        if (a.Value(annotation) is not { } text)
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : Invalid<int>(a, annotation, $"'{text}' is not a whole number from {min} to {max}");
    }

    private static double? Number(AnnotationReader a, string annotation, double fallback)
    {
        if (a.Value(annotation) is not { } text)
        {
            return fallback;
        }

        return double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) && value > 0 && value <= 1
            ? value
            : Invalid<double>(a, annotation, $"'{text}' is not a fraction above 0 and at most 1 (e.g. 0.5)");
    }

    private static T? Invalid<T>(AnnotationReader a, string annotation, string reason)
        where T : struct
    {
        a.Reject(annotation, reason);
        return null;
    }

    [GeneratedRegex(@"^(?<n>\d+(\.\d+)?)(?<unit>ms|s|m|h)?$")]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"^(/[A-Za-z0-9\-._~!$&'()*+,;=:@%]*)+(\?[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*)?$")]
    private static partial Regex ProbePathPattern();

    [GeneratedRegex(@"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")]
    private static partial Regex HeaderNamePattern();

    [GeneratedRegex(@"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")]
    private static partial Regex CookieNamePattern();

    [GeneratedRegex(@"^\$(?<kind>http|cookie)_(?<name>[A-Za-z0-9_\-]+)$")]
    private static partial Regex HashByPattern();
}
