using Orleans.Proxy.Affinity;
using Orleans.Proxy.Health;
using T = Orleans.Proxy.Translation.Annotations.AnnotationTable;

namespace Orleans.Proxy.Translation.Annotations;

/// <summary>Health settings for an Ingress's backends and the affinity of its routes, as its annotations give them.</summary>
internal sealed record HealthAffinitySettings(HealthCheckSpec? HealthCheck, PassiveHealthSpec? PassiveHealth, AffinitySpec? Affinity)
{
    public bool HasHealth => HealthCheck is not null || PassiveHealth is not null;
}

/// <summary>
/// Reads the health-check, passive-health and affinity annotations (ours and the ingress-nginx
/// names that mean the same) through <see cref="AnnotationTable"/>. A value that does not parse is
/// rejected with the annotation's name and leaves that feature off for the object; the routes still serve.
/// </summary>
internal static class HealthAffinityAnnotations
{
    public static HealthAffinitySettings Read(AnnotationReader annotations) =>
        new(ReadHealthCheck(annotations), ReadPassiveHealth(annotations), ReadAffinity(annotations));

    private static HealthCheckSpec? ReadHealthCheck(AnnotationReader a)
    {
        var path = a.Read(T.HealthCheckPath);
        if (path.IsAbsent)
        {
            foreach (var orphan in new AnnotationDefinition[] { T.HealthCheckInterval, T.HealthCheckTimeout, T.HealthCheckHealthyThreshold, T.HealthCheckUnhealthyThreshold }.Where(a.IsSet))
            {
                a.Reject(orphan.Name, $"has no effect without {T.HealthCheckPath.Name}: set the path to probe");
            }

            return null;
        }

        if (path.IsInvalid)
        {
            return null;
        }

        var interval = a.Read(T.HealthCheckInterval);
        var timeout = a.Read(T.HealthCheckTimeout);
        var healthy = a.Read(T.HealthCheckHealthyThreshold);
        var unhealthy = a.Read(T.HealthCheckUnhealthyThreshold);
        if (interval.IsInvalid || timeout.IsInvalid || healthy.IsInvalid || unhealthy.IsInvalid)
        {
            return null;
        }

        // A probe still running when the next is due would make rounds overlap: bound it by the interval.
        return new HealthCheckSpec(path.Value!, interval.Value, timeout.Value < interval.Value ? timeout.Value : interval.Value, healthy.Value, unhealthy.Value);
    }

    private static PassiveHealthSpec? ReadPassiveHealth(AnnotationReader a)
    {
        var enabled = a.Read(T.PassiveHealth);
        if (enabled.IsInvalid)
        {
            return null;
        }

        var settings = new AnnotationDefinition[] { T.PassiveHealth5xx, T.PassiveHealthFailureRate, T.PassiveHealthMinRequests, T.PassiveHealthWindow, T.PassiveHealthReactivation };
        if ((enabled.IsValid && !enabled.Value) || (enabled.IsAbsent && !settings.Any(a.IsSet)))
        {
            return null;
        }

        var count5xx = a.Read(T.PassiveHealth5xx);
        var rate = a.Read(T.PassiveHealthFailureRate);
        var minimum = a.Read(T.PassiveHealthMinRequests);
        var window = a.Read(T.PassiveHealthWindow);
        var reactivation = a.Read(T.PassiveHealthReactivation);
        if (count5xx.IsInvalid || rate.IsInvalid || minimum.IsInvalid || window.IsInvalid || reactivation.IsInvalid)
        {
            return null;
        }

        return new PassiveHealthSpec(count5xx.Value, rate.Value, minimum.Value, window.Value, reactivation.Value);
    }

    private static AffinitySpec? ReadAffinity(AnnotationReader a)
    {
        AffinityMode mode;
        string name;
        if (a.IsSet(T.Affinity))
        {
            var ours = a.Read(T.Affinity);
            if (ours.IsInvalid)
            {
                return null;
            }

            (mode, name) = ours.Value;
        }
        else if (a.IsSet(T.NginxAffinity))
        {
            var nginx = a.Read(T.NginxAffinity);
            if (nginx.IsInvalid)
            {
                return null;
            }

            (mode, name) = (nginx.Value, "");
        }
        else if (a.IsSet(T.NginxUpstreamHashBy))
        {
            var hashBy = a.Read(T.NginxUpstreamHashBy);
            if (hashBy.IsInvalid)
            {
                return null;
            }

            (mode, name) = hashBy.Value;
        }
        else
        {
            foreach (var orphan in new AnnotationDefinition[] { T.AffinityCookieName, T.AffinityTtl }.Where(a.IsSet))
            {
                a.Reject(orphan.Name, $"has no effect without {T.Affinity.Name}");
            }

            foreach (var orphan in new AnnotationDefinition[] { T.NginxAffinityMode }.Concat(CookieAttributes).Where(a.IsSet))
            {
                a.Reject(orphan.Name, $"has no effect without {T.NginxAffinity.Name}");
            }

            return null;
        }

        if (mode == AffinityMode.Cookie && name.Length == 0)
        {
            var cookie = a.Read(a.IsSet(T.AffinityCookieName) ? T.AffinityCookieName : T.NginxSessionCookieName);
            if (cookie.IsInvalid)
            {
                return null;
            }

            name = cookie.Value!;
        }

        // Both of ingress-nginx's modes are read as ours (see the affinity-mode row); the value is still checked.
        a.Read(T.NginxAffinityMode);
        if (mode != AffinityMode.Cookie)
        {
            foreach (var orphan in CookieAttributes.Where(a.IsSet))
            {
                a.Reject(orphan.Name, "has no effect without cookie affinity");
            }
        }

        var expires = mode == AffinityMode.Cookie ? a.Read(T.NginxSessionCookieExpires).Value : null;
        var ttl = a.Read(a.IsSet(T.AffinityTtl) ? T.AffinityTtl : T.NginxSessionCookieMaxAge);
        if (ttl.IsInvalid)
        {
            return null;
        }

        var spec = new AffinitySpec(mode, name, ttl.IsAbsent && expires is { } lifetime ? lifetime : ttl.Value);
        return mode != AffinityMode.Cookie ? spec : spec with
        {
            CookiePath = a.Read(T.NginxSessionCookiePath).Value,
            CookieSameSite = a.Read(T.NginxSessionCookieSameSite).Value,
            CookieConditionalSameSiteNone = a.Read(T.NginxSessionCookieConditionalSameSiteNone).Value,
            CookieSecure = a.Read(T.NginxSessionCookieSecure).Value,
            CookieExpires = expires,
            ChangeOnFailure = a.Read(T.NginxSessionCookieChangeOnFailure).Value,
        };
    }

    /// <summary>ingress-nginx's affinity cookie attributes.</summary>
    private static readonly AnnotationDefinition[] CookieAttributes =
    [
        T.NginxSessionCookiePath, T.NginxSessionCookieSameSite, T.NginxSessionCookieConditionalSameSiteNone, T.NginxSessionCookieSecure, T.NginxSessionCookieExpires,
        T.NginxSessionCookieChangeOnFailure,
    ];
}
