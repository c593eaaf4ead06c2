using System.Globalization;
using System.Text;

namespace Orleans.Proxy.Translation.Annotations;

/// <summary>
/// Renders docs/annotations.md from <see cref="AnnotationTable"/>: a row per annotation (name, type,
/// accepted values, default, feature, origin, status, notes), so the reference cannot drift from what
/// the controller reads. A unit test compares it with the committed file.
/// </summary>
internal static class AnnotationReference
{
    /// <summary>The file, relative to the repository root.</summary>
    public const string Path = "docs/annotations.md";

    /// <summary>How to regenerate it, for the test that compares it.</summary>
    public const string Regenerate = "UPDATE_DOCS=1 dotnet test tests/Orleans.Proxy.UnitTests --filter AnnotationReference";

    public static string Render()
    {
        var nginx = AnnotationTable.All.Where(a => a.Origin == AnnotationOrigin.IngressNginx).ToList();
        int Count(AnnotationStatus status) => nginx.Count(a => a.Status == status);

        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"""
            # Annotations

            <!-- Generated from translation/Annotations/AnnotationTable.cs; do not edit. After changing the table, run:
                 {Regenerate} -->

            An Ingress's annotations tune its routes and backends. This controller reads its own, under
            `{AnnotationDefinition.OurPrefix}`, and ingress-nginx's, under `{AnnotationDefinition.NginxPrefix}`, with
            ingress-nginx's meaning unless the notes say otherwise.

            **{AnnotationTable.HonouredNginxCount} of the {nginx.Count} ingress-nginx annotations listed here are honoured**
            ({Count(AnnotationStatus.HonouredWithDifferences)} of them with differences, which the notes describe).
            {Count(AnnotationStatus.NoEffect)} have no effect here, {Count(AnnotationStatus.Refused)} are refused and {Count(AnnotationStatus.NotYet)} are not supported yet.

            An annotation under either prefix that is not honoured (listed here or not) is reported as a
            rejection (diagnostics API, log, Kubernetes Event) and ignored; the rest of the Ingress serves.
            A value that does not parse is reported with the values it accepts; "if invalid" says what
            applies then. Statuses:

            - **honoured**: read with ingress-nginx's meaning (or ours).
            - **honoured with differences**: read, and the notes say how the behaviour differs from ingress-nginx's.
            - **no effect**: it tunes something this data plane does not have; reported and ignored.
            - **refused**: reported and ignored by design; the notes say why.
            - **not yet**: reported and ignored; not implemented yet.

            ## {AnnotationDefinition.OurPrefix}*

            """);
        Table(text, AnnotationTable.All.Where(a => a.Origin == AnnotationOrigin.Ours));
        text.Append(CultureInfo.InvariantCulture, $"""

            ## {AnnotationDefinition.NginxPrefix}*

            In name order.

            """);
        Table(text, nginx.OrderBy(a => a.Name, StringComparer.Ordinal));
        return text.ToString().ReplaceLineEndings("\n");
    }

    private static void Table(StringBuilder text, IEnumerable<AnnotationDefinition> rows)
    {
        text.Append("\n| Annotation | Type | Accepts | Default | Feature | Origin | Status | Notes |\n");
        text.Append("|---|---|---|---|---|---|---|---|\n");
        foreach (var row in rows)
        {
            var notes = row.OnInvalid is null ? row.Notes : $"{row.Notes} If invalid: {row.OnInvalid}.".TrimStart();
            text.Append(CultureInfo.InvariantCulture,
                $"| `{row.Name}` | {Cell(row.TypeName)} | {Cell(row.Accepts)} | {Cell(row.DefaultText)} | {Words(row.Feature.ToString())} | {Origin(row.Origin)} | {Status(row.Status)} | {Cell(notes)} |\n");
        }
    }

    private static string Origin(AnnotationOrigin origin) => origin == AnnotationOrigin.Ours ? "ours" : "ingress-nginx";

    internal static string Status(AnnotationStatus status) => status switch
    {
        AnnotationStatus.Honoured => "honoured",
        AnnotationStatus.HonouredWithDifferences => "honoured with differences",
        AnnotationStatus.NoEffect => "no effect",
        AnnotationStatus.Refused => "refused",
        _ => "not yet",
    };

    /// <summary>"BackendConnection" as "backend connection".</summary>
    private static string Words(string name)
    {
        var words = new StringBuilder();
        foreach (var c in name)
        {
            if (char.IsUpper(c) && words.Length > 0)
            {
                words.Append(' ');
            }

            words.Append(char.ToLowerInvariant(c));
        }

        return words.ToString();
    }

    /// <summary>Text safe in a Markdown table cell; "—" when there is none.</summary>
    internal static string Cell(string? text) => string.IsNullOrEmpty(text) ? "—"
        : text.Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("|", "\\|", StringComparison.Ordinal)
            .Replace("`", "\\`", StringComparison.Ordinal)
            .Replace("*", "\\*", StringComparison.Ordinal)
            .Replace("<", "&lt;", StringComparison.Ordinal);
}
