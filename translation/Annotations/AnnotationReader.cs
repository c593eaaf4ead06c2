using Orleans.Proxy.Routing;

namespace Orleans.Proxy.Translation.Annotations;

/// <summary>Whether an annotation was absent (or blank), parsed, or did not parse (and was rejected).</summary>
internal enum AnnotationState
{
    Absent,
    Valid,
    Invalid,
}

/// <summary>An annotation's value: the parsed one, or its <see cref="Annotation{T}.Default"/> when absent or invalid.</summary>
internal readonly record struct AnnotationValue<T>(AnnotationState State, T Value)
{
    public bool IsAbsent => State == AnnotationState.Absent;

    public bool IsValid => State == AnnotationState.Valid;

    public bool IsInvalid => State == AnnotationState.Invalid;
}

/// <summary>
/// Reads one object's annotations through <see cref="AnnotationTable"/>: a value that does not parse
/// is rejected with the reason its row gives, and <see cref="Finish"/> reports every annotation under
/// our prefix or ingress-nginx's that the table does not honour, so none is silently ignored.
/// </summary>
internal sealed class AnnotationReader(string source, IDictionary<string, string>? annotations)
{
    private readonly List<Rejection> _rejections = [];

    /// <summary>The names present on the object.</summary>
    public IEnumerable<string> Names => annotations?.Keys ?? [];

    /// <summary>The value of <paramref name="annotation"/>; a rejection when it does not parse.</summary>
    public AnnotationValue<T> Read<T>(Annotation<T> annotation)
    {
        var text = Text(annotations, annotation);
        if (text is null)
        {
            return new(AnnotationState.Absent, annotation.Default);
        }

        if (ControlCharacter(text) is { } offset)
        {
            Reject(annotation.Name, $"contains the control character U+{(int)text[offset]:X4} at offset {offset}; a value with CR, LF or other control characters could split a header or a log line");
            return new(AnnotationState.Invalid, annotation.Default);
        }

        var parsed = annotation.Type.Parse(text);
        if (parsed.Ok)
        {
            return new(AnnotationState.Valid, parsed.Value);
        }

        Reject(annotation.Name, annotation.InvalidReason(text, parsed.Offending));
        return new(AnnotationState.Invalid, annotation.Default);
    }

    /// <summary>True when the annotation is present and not blank.</summary>
    public bool IsSet(AnnotationDefinition annotation) => Text(annotations, annotation) is not null;

    /// <summary>The value of <paramref name="annotation"/> in <paramref name="annotations"/>, without reporting anything.</summary>
    public static AnnotationValue<T> Peek<T>(IDictionary<string, string>? annotations, Annotation<T> annotation) =>
        Text(annotations, annotation) is not { } text ? new(AnnotationState.Absent, annotation.Default)
        : ControlCharacter(text) is null && annotation.Type.Parse(text) is { Ok: true } parsed ? new(AnnotationState.Valid, parsed.Value)
        : new(AnnotationState.Invalid, annotation.Default);

    /// <summary>The rejections, plus one for each of our or ingress-nginx's annotations the table does not honour.</summary>
    public IReadOnlyList<Rejection> Finish()
    {
        foreach (var name in Names)
        {
            if (AnnotationTable.Report(name) is { } reason)
            {
                Reject(name, reason);
            }
        }

        return _rejections;
    }

    public void Reject(string annotation, string reason) =>
        _rejections.Add(new Rejection(source, $"metadata.annotations[{annotation}]", reason));

    /// <summary>The offset of the first control character (C0, DEL, C1, or a Unicode line or paragraph separator); null when there is none.</summary>
    internal static int? ControlCharacter(string text)
    {
        var offset = text.AsSpan().IndexOfAny(ControlCharacters);
        return offset < 0 ? null : offset;
    }

    private static readonly System.Buffers.SearchValues<char> ControlCharacters = System.Buffers.SearchValues.Create(
        [.. Enumerable.Range(0, 0x20).Select(c => (char)c), .. Enumerable.Range(0x7F, 0x21).Select(c => (char)c), '\u2028', '\u2029']);

    /// <summary>The trimmed value, or null when the annotation is absent or blank.</summary>
    private static string? Text(IDictionary<string, string>? annotations, AnnotationDefinition annotation) =>
        annotations is not null && annotations.TryGetValue(annotation.Name, out var text) && !string.IsNullOrWhiteSpace(text) ? text.Trim() : null;
}
