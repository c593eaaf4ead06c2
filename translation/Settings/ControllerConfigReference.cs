using System.Globalization;
using System.Text;
using Orleans.Proxy.Translation.Annotations;
using Orleans.Proxy.Translation.Ingress;

namespace Orleans.Proxy.Translation.Settings;

/// <summary>Renders docs/configmap.md from <see cref="ControllerConfigTable"/>; a unit test compares it with the committed file.</summary>
internal static class ControllerConfigReference
{
    /// <summary>The file, relative to the repository root.</summary>
    public const string Path = "docs/configmap.md";

    public const string Regenerate = "UPDATE_DOCS=1 dotnet test tests/Orleans.Proxy.UnitTests --filter ControllerConfigReference";

    public static string Render()
    {
        var keys = ControllerConfigTable.All;
        int Count(AnnotationStatus status) => keys.Count(k => k.Status == status);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"""
            # The controller ConfigMap

            <!-- Generated from translation/Settings/ControllerConfigTable.cs; do not edit. After changing the table, run:
                 {Regenerate} -->

            ingress-nginx's controller ConfigMap sets global defaults. This controller reads one ConfigMap with
            the same keys: `Routes:ConfigMap` names it ("namespace/name", default `{ConversionSettings.DefaultConfigMap}`;
            ingress-nginx's `--configmap` flag sets it too). In Kubernetes mode the controller watches that one
            ConfigMap; in file mode it is a ConfigMap of that namespace and name in the route folder. A change
            applies without a restart: it re-runs the conversion, and the edges get the new routes.

            **{keys.Count(k => k.IsHonoured)} of the {keys.Length} keys listed here are honoured** ({Count(AnnotationStatus.HonouredWithDifferences)} with differences, which the notes describe).
            {Count(AnnotationStatus.NoEffect)} have no effect here, {Count(AnnotationStatus.Refused)} are refused and {Count(AnnotationStatus.NotYet)} are not supported yet.

            A key that is not honoured, a key this table does not list, and a value that does not parse are
            each reported as a rejection of `ConfigMap namespace/name`, field `data[key]` (diagnostics API, log)
            and ignored; the other keys apply. A refused key whose value asks for what this proxy does anyway
            ("accepts") is not reported. An absent key leaves this proxy's default ("default here"); the
            statuses are those of [the annotations](annotations.md).

            | Key | Type | Accepts | Default here | ingress-nginx default | Status | Notes |
            |---|---|---|---|---|---|---|

            """);
        foreach (var key in keys.OrderBy(k => k.Name, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture,
                $"| `{key.Name}` | {AnnotationReference.Cell(key.TypeName)} | {AnnotationReference.Cell(key.Accepts)} | {AnnotationReference.Cell(key.Default)} | {AnnotationReference.Cell(key.NginxDefault)} | {AnnotationReference.Status(key.Status)} | {AnnotationReference.Cell(key.Notes)} |\n");
        }

        return text.ToString().ReplaceLineEndings("\n");
    }
}
