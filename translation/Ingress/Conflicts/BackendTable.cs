using System.Collections.Immutable;
using System.Globalization;
using Orleans.Proxy.Routing;
using Orleans.Proxy.Translation.Annotations;

namespace Orleans.Proxy.Translation.Ingress.Conflicts;

/// <summary>
/// The backends of one conversion, and the arbitration between Ingresses whose annotations set a
/// backend's protocol and timeouts, or its health checks: a backend (one HTTP client, one prober) has
/// one setting, so the first Ingress (the oldest) to set it wins, and a later one that wants another
/// is refused it with a rejection (its routes stay).
/// </summary>
internal sealed class BackendTable(ICollection<Rejection> rejections)
{
    private readonly SortedDictionary<string, BackendSpec> _backends = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (NginxBackendSettings Settings, string Source)> _settings = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, (HealthAffinitySettings Settings, string Source)> _health = new(StringComparer.Ordinal);

    /// <summary>Adds a resolved backend the first time its cluster id is seen; returns its cluster id.</summary>
    public string Add(BackendSpec backend)
    {
        _backends.TryAdd(backend.ClusterId, backend);
        return backend.ClusterId;
    }

    /// <summary>The protocol and timeouts set for the backend; <see cref="NginxBackendSettings.None"/> when none were.</summary>
    public NginxBackendSettings SettingsOf(string clusterId) =>
        _settings.TryGetValue(clusterId, out var s) ? s.Settings : NginxBackendSettings.None;

    /// <summary>Sets a backend's protocol and timeouts; a second Ingress that wants others is refused them.</summary>
    public void ApplySettings(string source, string clusterId, NginxBackendSettings settings)
    {
        if (_settings.TryGetValue(clusterId, out var existing))
        {
            if (Conflict(existing.Settings, existing.Source, settings) is { } conflict)
            {
                rejections.Add(new Rejection(source, "metadata.annotations", $"backend {clusterId}: {conflict}"));
            }

            return;
        }

        if (!settings.IsNone)
        {
            _settings[clusterId] = (settings, source);
            _backends[clusterId] = settings.ApplyTo(_backends[clusterId]);
        }
    }

    /// <summary>Health settings are the backend's: the first Ingress (oldest) that sets them for it wins.</summary>
    public void SetHealth(string source, string clusterId, HealthAffinitySettings settings)
    {
        if (!settings.HasHealth)
        {
            return;
        }

        if (!_health.TryGetValue(clusterId, out var existing))
        {
            _health[clusterId] = (settings, source);
        }
        else if (existing.Source != source && (existing.Settings.HealthCheck != settings.HealthCheck || existing.Settings.PassiveHealth != settings.PassiveHealth))
        {
            rejections.Add(new Rejection(source, "metadata.annotations", $"backend {clusterId} already has other health-check settings from {existing.Source}; these are ignored (set them on one Ingress)"));
        }
    }

    public ImmutableSortedDictionary<string, BackendSpec> ToBackends() =>
        _backends.ToImmutableSortedDictionary(b => b.Key, b => WithHealth(b.Value), StringComparer.Ordinal);

    /// <summary>Settings for a backend from two Ingresses must agree: a backend has one HTTP client.</summary>
    internal static string? Conflict(NginxBackendSettings existing, string existingSource, NginxBackendSettings wanted)
    {
        if (wanted.IsNone || existing == wanted)
        {
            return null;
        }

        return $"conflicts with {existingSource}, which set this backend's protocol/timeouts first ({Describe(existing)}); a backend has one setting for all its Ingresses";
    }

    private BackendSpec WithHealth(BackendSpec backend) => _health.TryGetValue(backend.ClusterId, out var health)
        ? backend with { HealthCheck = health.Settings.HealthCheck, PassiveHealth = health.Settings.PassiveHealth }
        : backend;

    private static string Describe(NginxBackendSettings s) =>
        $"protocol {s.Protocol ?? BackendProtocol.Http}, connect {Text(s.ConnectTimeout)}, read/send {Text(s.ActivityTimeout)}";

    private static string Text(TimeSpan? t) => t is { } value ? $"{value.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s" : "default";
}
