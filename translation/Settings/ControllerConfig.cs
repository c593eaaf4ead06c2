using System.Collections.Immutable;
using System.Globalization;
using k8s.Models;
using Orleans.Proxy.Routing;
using Orleans.Proxy.Translation.Ingress;

namespace Orleans.Proxy.Translation.Settings;

/// <summary>
/// Reads the controller ConfigMap (ingress-nginx's global settings) through <see cref="ControllerConfigTable"/>
/// into the conversion's settings. A key that does not parse is rejected alone; every key not honoured is
/// reported, as annotations are; an absent ConfigMap leaves the settings as they are.
/// </summary>
public static class ControllerConfig
{
    /// <summary>The settings with the ConfigMap <see cref="ConversionSettings.ConfigMap"/> names applied, if it is among <paramref name="configMaps"/>.</summary>
    public static ConversionSettings Apply(ConversionSettings settings, ImmutableArray<V1ConfigMap> configMaps, ICollection<Rejection> rejections)
    {
        if (settings.ConfigMap is not { } key
            || configMaps.FirstOrDefault(m => IngressConverter.ObjectKey(m.Metadata) == key) is not { } map)
        {
            return settings;
        }

        var source = $"ConfigMap {key}";
        var values = new ControllerConfigValues();
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, text) in (map.Data ?? new Dictionary<string, string>()).OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            var field = $"data[{name}]";
            if (ControllerConfigTable.Report(name, text ?? "") is { } reason)
            {
                rejections.Add(new Rejection(source, field, reason));
            }
            else if (ControllerConfigTable.Find(name) is { IsHonoured: true } row && !string.IsNullOrWhiteSpace(text))
            {
                if (row.Read(text.Trim(), values) is { } invalid)
                {
                    rejections.Add(new Rejection(source, field, invalid));
                }
                else
                {
                    set.Add(name);
                }
            }
        }

        if (!values.Hsts)
        {
            foreach (var name in new[] { ControllerConfigTable.HstsMaxAge.Name, ControllerConfigTable.HstsIncludeSubdomains.Name, ControllerConfigTable.HstsPreload.Name }.Where(set.Contains))
            {
                rejections.Add(new Rejection(source, $"data[{name}]", $"has no effect without {ControllerConfigTable.Hsts.Name}: \"true\""));
            }
        }

        return settings with
        {
            SslRedirect = values.SslRedirect ?? settings.SslRedirect,
            Defaults = new ControllerDefaults
            {
                StrictTransportSecurity = values.Hsts ? StrictTransportSecurity(values) : null,
                AppendForwardedFor = values.ComputeFullForwardedFor,
                ProxyBodySize = values.ProxyBodySize,
                ProxyConnectTimeout = values.ProxyConnectTimeout,
                ProxyReadTimeout = values.ProxyReadTimeout,
                ProxySendTimeout = values.ProxySendTimeout,
                LimitReqStatusCode = values.LimitReqStatusCode,
            },
        };
    }

    /// <summary>The Ingress routes with the ConfigMap's route defaults (HTTPRoute routes are left as they are: the ConfigMap is ingress-nginx's).</summary>
    internal static ImmutableSortedDictionary<string, ImmutableArray<RouteSpec>> WithDefaults(ImmutableSortedDictionary<string, ImmutableArray<RouteSpec>> hosts, ControllerDefaults defaults) =>
        defaults == ControllerDefaults.None ? hosts
        : hosts.ToImmutableSortedDictionary(h => h.Key, h => h.Value.Select(r => r.HttpRoute is not null ? r : r with
        {
            // Null when the annotation is absent (or did not parse): the global default then applies.
            MaxRequestBodySize = r.MaxRequestBodySize ?? defaults.ProxyBodySize,
            StrictTransportSecurity = defaults.StrictTransportSecurity,
            AppendForwardedFor = defaults.AppendForwardedFor,
            RateLimitStatusCode = r.RateLimits.IsDefaultOrEmpty ? null : defaults.LimitReqStatusCode,
        }).ToImmutableArray(), hosts.KeyComparer);

    /// <summary>
    /// The backends with the ConfigMap's timeouts where no Ingress set them: a backend has one HTTP client,
    /// so the defaults fill what is left rather than taking part in the oldest-Ingress-wins arbitration.
    /// </summary>
    internal static ImmutableSortedDictionary<string, BackendSpec> WithDefaults(ImmutableSortedDictionary<string, BackendSpec> backends, ControllerDefaults defaults)
    {
        var activity = defaults.ProxyReadTimeout is null && defaults.ProxySendTimeout is null ? (TimeSpan?)null
            : new TimeSpan(Math.Max(defaults.ProxyReadTimeout?.Ticks ?? 0, defaults.ProxySendTimeout?.Ticks ?? 0));
        return defaults.ProxyConnectTimeout is null && activity is null ? backends
            : backends.ToImmutableSortedDictionary(b => b.Key, b => b.Value with
            {
                ConnectTimeout = b.Value.ConnectTimeout ?? defaults.ProxyConnectTimeout,
                ActivityTimeout = b.Value.ActivityTimeout ?? activity,
            }, backends.KeyComparer);
    }

    private static string StrictTransportSecurity(ControllerConfigValues values) =>
        string.Create(CultureInfo.InvariantCulture, $"max-age={values.HstsMaxAge}")
        + (values.HstsIncludeSubdomains ? "; includeSubDomains" : "")
        + (values.HstsPreload ? "; preload" : "");
}
