namespace Orleans.Proxy.Translation.Annotations;

/// <summary>Who defines an annotation's meaning.</summary>
internal enum AnnotationOrigin
{
    /// <summary>Ours, under orleans-proxy.io/.</summary>
    Ours,

    /// <summary>ingress-nginx's, under nginx.ingress.kubernetes.io/, read with its meaning.</summary>
    IngressNginx,
}

/// <summary>What this controller does with an annotation.</summary>
internal enum AnnotationStatus
{
    Honoured,

    /// <summary>Honoured; the notes say how the behaviour differs from ingress-nginx's.</summary>
    HonouredWithDifferences,

    /// <summary>Reported and ignored: it tunes something this data plane does not have; the notes say what.</summary>
    NoEffect,

    /// <summary>Reported and ignored by design; the notes say why.</summary>
    Refused,

    /// <summary>Reported and ignored: not implemented yet.</summary>
    NotYet,
}

/// <summary>The feature an annotation configures.</summary>
internal enum AnnotationFeature
{
    Matching,
    Rewrite,
    Redirects,
    AccessControl,
    RequestLimits,
    BackendConnection,
    Canary,
    RateLimiting,
    HealthChecks,
    PassiveHealth,
    Affinity,
    Caching,
    LoadBalancing,
    Authentication,
    ClientCertificates,
    BackendTls,
    Cors,
    Tls,
    Headers,
    ErrorPages,
    Buffering,
    Retries,
    Observability,
    Firewall,
    Mirroring,
    Snippets,
}

/// <summary>
/// One row of <see cref="AnnotationTable"/>: an annotation's name, the feature that reads it, what
/// this controller does with it and notes (the differences from ingress-nginx, or why it is not
/// honoured). <see cref="Annotation{T}"/> adds the value type, default and validation of those it reads.
/// </summary>
internal class AnnotationDefinition(string name, AnnotationFeature feature, AnnotationStatus status)
{
    public const string OurPrefix = "orleans-proxy.io/";
    public const string NginxPrefix = "nginx.ingress.kubernetes.io/";

    public string Name { get; } = name;

    public AnnotationFeature Feature { get; } = feature;

    public AnnotationStatus Status { get; } = status;

    public AnnotationOrigin Origin => Name.StartsWith(NginxPrefix, StringComparison.Ordinal) ? AnnotationOrigin.IngressNginx : AnnotationOrigin.Ours;

    public bool IsHonoured => Status is AnnotationStatus.Honoured or AnnotationStatus.HonouredWithDifferences;

    /// <summary>What it does, how it differs from ingress-nginx, or why it is not honoured.</summary>
    public string Notes { get; init; } = "";

    /// <summary>The value type (null for annotations not read).</summary>
    public virtual string? TypeName => null;

    /// <summary>The values it accepts: its validation.</summary>
    public virtual string? Accepts => null;

    /// <summary>The value that applies when it is absent.</summary>
    public virtual string? DefaultText => null;

    /// <summary>What happens when the value does not parse, after the rejection's "'value' is not ...".</summary>
    public string? OnInvalid { get; init; }

    /// <summary>Whether a value parses (for reports that tell a malformed value from one ignored for another reason).</summary>
    public virtual bool Parses(string text) => true;

    public override string ToString() => Name;
}

/// <summary>An annotation this controller reads, with its value type and default; read with <see cref="AnnotationReader.Read{T}"/>.</summary>
internal sealed class Annotation<T>(string name, AnnotationType<T> type, AnnotationFeature feature, AnnotationStatus status = AnnotationStatus.Honoured)
    : AnnotationDefinition(name, feature, status)
{
    public AnnotationType<T> Type { get; } = type;

    /// <summary>The value when absent, and when the value does not parse.</summary>
    public T Default { get; init; } = default!;

    /// <summary>The default as the reference prints it, when <see cref="Default"/> alone does not say it (e.g. "the rate").</summary>
    public string? Describe { get; init; }

    public override string TypeName => Type.Name;

    public override string Accepts => Type.Accepts;

    public override string? DefaultText => Describe ?? Type.Format(Default);

    public override bool Parses(string text) => string.IsNullOrWhiteSpace(text) || Type.Parse(text.Trim()).Ok;

    /// <summary>The rejection's reason for a value that does not parse; <paramref name="offending"/>: the part at fault, when not all of it.</summary>
    public string InvalidReason(string text, string? offending) =>
        $"'{offending ?? text}' {Type.Expectation}{(OnInvalid is null ? "" : "; " + OnInvalid)}";
}
