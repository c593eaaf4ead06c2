using Orleans.Proxy.Translation.Annotations;

namespace Orleans.Proxy.Translation.Settings;

/// <summary>
/// One row of <see cref="ControllerConfigTable"/>: an ingress-nginx ConfigMap key, what this controller
/// does with it (the annotation table's statuses), ingress-nginx's default, and notes (the differences,
/// or why it is not honoured). <see cref="ConfigKey{T}"/> adds the value type of those it reads.
/// </summary>
internal class ConfigKey(string name, AnnotationStatus status, string nginxDefault)
{
    public string Name { get; } = name;

    public AnnotationStatus Status { get; } = status;

    /// <summary>ingress-nginx's default, as its reference prints it.</summary>
    public string NginxDefault { get; } = nginxDefault;

    public string Notes { get; init; } = "";

    /// <summary>A value that asks for what this proxy does anyway, so it is not reported (e.g. allow-snippet-annotations: "false").</summary>
    public string? Harmless { get; init; }

    public bool IsHonoured => Status is AnnotationStatus.Honoured or AnnotationStatus.HonouredWithDifferences;

    public virtual string? TypeName => null;

    public virtual string? Accepts => Harmless is null ? null : $"\"{Harmless}\"";

    /// <summary>What applies when the key is absent, here.</summary>
    public string? Default { get; init; }

    /// <summary>Reads the value into <paramref name="values"/>; the reason it does not parse, or null.</summary>
    public virtual string? Read(string text, ControllerConfigValues values) => null;

    public override string ToString() => Name;
}

/// <summary>A key this controller reads, with its value type.</summary>
internal sealed class ConfigKey<T>(string name, AnnotationType<T> type, string nginxDefault, Action<ControllerConfigValues, T> set, AnnotationStatus status = AnnotationStatus.Honoured)
    : ConfigKey(name, status, nginxDefault)
{
    public override string TypeName => type.Name;

    public override string Accepts => type.Accepts;

    public override string? Read(string text, ControllerConfigValues values)
    {
        var parsed = type.Parse(text);
        if (!parsed.Ok)
        {
            return $"'{parsed.Offending ?? text}' {type.Expectation}; the key is ignored";
        }

        set(values, parsed.Value);
        return null;
    }
}

/// <summary>The values read from one ConfigMap, before they become <see cref="Ingress.ControllerDefaults"/>.</summary>
internal sealed class ControllerConfigValues
{
    public bool? SslRedirect { get; set; }

    public bool Hsts { get; set; }

    public int HstsMaxAge { get; set; } = ControllerConfigTable.NginxHstsMaxAge;

    public bool HstsIncludeSubdomains { get; set; } = true;

    public bool HstsPreload { get; set; }

    public bool ComputeFullForwardedFor { get; set; }

    public long? ProxyBodySize { get; set; }

    public TimeSpan? ProxyConnectTimeout { get; set; }

    public TimeSpan? ProxyReadTimeout { get; set; }

    public TimeSpan? ProxySendTimeout { get; set; }

    public int? LimitReqStatusCode { get; set; }
}
