using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using k8s.Models;
using Orleans.Proxy.Routing;
using Orleans.Proxy.Translation.Annotations;
using Orleans.Proxy.Translation.Ingress;
using Orleans.Proxy.Translation.Settings;

namespace Orleans.Proxy.Translation.Migration;

/// <summary>What happens to one annotation, ConfigMap key or field when an Ingress moves over from ingress-nginx.</summary>
public enum MigrationOutcome
{
    /// <summary>Honoured with ingress-nginx's meaning.</summary>
    CarriesOver,

    /// <summary>Honoured; the annotation table's notes say how it differs.</summary>
    Differs,

    /// <summary>Accepted and ignored: nothing here to tune, or ignored as ingress-nginx ignores it.</summary>
    NoEffect,

    /// <summary>Ignored by design (lost).</summary>
    Refused,

    /// <summary>Not implemented yet (lost).</summary>
    NotYet,

    /// <summary>Refused by the converter: a malformed value or a field it cannot serve (lost).</summary>
    Rejected,
}

/// <summary>One line of the report: the annotation, key or field, its outcome and why.</summary>
public sealed record MigrationItem(string Name, MigrationOutcome Outcome, string Detail);

/// <summary>The report of one Ingress (or the ConfigMap): its routes and the outcome of each annotation and refused field.</summary>
public sealed record MigrationEntry(string Object, int Routes, ImmutableArray<MigrationItem> Items, ImmutableArray<string> Assumed)
{
    public bool LosesSomething => Items.Any(i => i.Outcome is MigrationOutcome.Refused or MigrationOutcome.NotYet or MigrationOutcome.Rejected);
}

/// <summary>
/// The migration report: runs the controller's own converter (<see cref="IngressConverter"/>) on a set of
/// ingress-nginx objects and sorts what it did by the annotation and ConfigMap tables, so the report and the
/// controller cannot disagree. Services the input lacks are assumed to exist (with the ports the Ingresses
/// name), so a folder of Ingresses alone can be checked; the report names each.
/// </summary>
public static class MigrationReport
{
    /// <summary>ingress-nginx's controller ConfigMap as its Helm chart names it.</summary>
    public const string NginxConfigMap = "ingress-nginx/ingress-nginx-controller";

    public static ImmutableArray<MigrationEntry> Build(ClusterObjects objects, string? configMap = NginxConfigMap)
    {
        var (withServices, assumed) = AssumedServices.Add(objects);
        var desired = IngressConverter.Convert(withServices, ConversionSettings.Default with { ConfigMap = configMap });
        var entries = ImmutableArray.CreateBuilder<MigrationEntry>();
        if (configMap is not null && objects.ConfigMaps.Any(m => IngressConverter.ObjectKey(m.Metadata) == configMap))
        {
            entries.Add(ConfigMapEntry(configMap, objects.ConfigMaps.First(m => IngressConverter.ObjectKey(m.Metadata) == configMap), desired.Rejections));
        }

        foreach (var ingress in objects.Ingresses.OrderBy(i => IngressConverter.ObjectKey(i.Metadata), StringComparer.Ordinal))
        {
            entries.Add(IngressEntry(ingress, desired, assumed, objects.Secrets));
        }

        return entries.ToImmutable();
    }

    /// <summary>The report as text: a block per object, then the summary line.</summary>
    public static string Render(ImmutableArray<MigrationEntry> entries)
    {
        var text = new StringBuilder();
        foreach (var entry in entries)
        {
            var verdict = entry.LosesSomething ? "LOSES SOMETHING" : entry.Items.Any(i => i.Outcome == MigrationOutcome.Differs) ? "carries over, with differences" : "carries over";
            text.Append(CultureInfo.InvariantCulture, $"{entry.Object}: {verdict}");
            text.Append(entry.Object.StartsWith("Ingress ", StringComparison.Ordinal) ? string.Create(CultureInfo.InvariantCulture, $" ({entry.Routes} route{(entry.Routes == 1 ? "" : "s")})\n") : "\n");
            foreach (var item in entry.Items.OrderBy(i => i.Outcome).ThenBy(i => i.Name, StringComparer.Ordinal))
            {
                text.Append(CultureInfo.InvariantCulture, $"  {Label(item.Outcome),-13}{item.Name}{(item.Detail.Length == 0 ? "" : " — " + item.Detail)}\n");
            }

            foreach (var service in entry.Assumed)
            {
                text.Append(CultureInfo.InvariantCulture, $"  {"assumed",-13}{service} (not in the input)\n");
            }

            text.Append('\n');
        }

        text.Append(Summary(entries)).Append('\n');
        return text.ToString();
    }

    public static string Summary(ImmutableArray<MigrationEntry> entries)
    {
        var ingresses = entries.Where(e => e.Object.StartsWith("Ingress ", StringComparison.Ordinal)).ToList();
        int Count(MigrationOutcome outcome) => entries.Sum(e => e.Items.Count(i => i.Outcome == outcome));
        var losing = entries.Count(e => e.LosesSomething);
        return string.Create(CultureInfo.InvariantCulture,
            $"Summary: {ingresses.Count} Ingresses, {ingresses.Count(e => !e.LosesSomething)} carry over ({ingresses.Count(e => !e.LosesSomething && e.Items.Any(i => i.Outcome == MigrationOutcome.Differs))} with differences), {losing} object{(losing == 1 ? "" : "s")} lose something; "
            + $"annotations and keys: {Count(MigrationOutcome.CarriesOver)} carry over, {Count(MigrationOutcome.Differs)} differ, {Count(MigrationOutcome.NoEffect)} no effect, "
            + $"{Count(MigrationOutcome.Refused)} refused, {Count(MigrationOutcome.NotYet)} not yet, {Count(MigrationOutcome.Rejected)} rejected");
    }

    private static string Label(MigrationOutcome outcome) => outcome switch
    {
        MigrationOutcome.CarriesOver => "carries over",
        MigrationOutcome.Differs => "differs",
        MigrationOutcome.NoEffect => "no effect",
        MigrationOutcome.Refused => "refused",
        MigrationOutcome.NotYet => "not yet",
        _ => "rejected",
    };

    private static MigrationEntry IngressEntry(V1Ingress ingress, DesiredState desired, IReadOnlyDictionary<string, string> assumed, ImmutableArray<V1Secret> secrets)
    {
        var source = $"Ingress {IngressConverter.ObjectKey(ingress.Metadata)}";
        var ns = ingress.Metadata?.NamespaceProperty ?? "default";
        var rejections = desired.Rejections.Where(r => r.Object == source).ToList();
        // TLS Secrets are rarely exported (and never read from the API here): one the input lacks is assumed valid.
        var tls = ingress.Spec?.Tls ?? [];
        var assumedSecrets = new List<string>();
        for (var i = 0; i < tls.Count; i++)
        {
            if (!string.IsNullOrEmpty(tls[i].SecretName) && !secrets.Any(s => IngressConverter.ObjectKey(s.Metadata) == $"{ns}/{tls[i].SecretName}"))
            {
                rejections.RemoveAll(r => r.Field == $"spec.tls[{i}].secretName");
                assumedSecrets.Add($"Secret {ns}/{tls[i].SecretName}");
            }
        }

        var items = new List<MigrationItem>();
        var annotations = ingress.Metadata?.Annotations ?? new Dictionary<string, string>();
        foreach (var (name, value) in annotations)
        {
            var row = AnnotationTable.Find(name);
            var rejection = rejections.FirstOrDefault(r => r.Field == $"metadata.annotations[{name}]");
            rejections.Remove(rejection!);
            if (row is null)
            {
                if (AnnotationTable.Report(name) is { } reason)
                {
                    items.Add(new MigrationItem(name, name.StartsWith(AnnotationDefinition.NginxPrefix, StringComparison.Ordinal) ? MigrationOutcome.NotYet : MigrationOutcome.Rejected, reason));
                }

                continue;
            }

            items.Add(row.Status switch
            {
                // A value that parses yet is reported was ignored for a reason ingress-nginx shares (a canary's own settings, canary-* without canary).
                _ when row.IsHonoured && rejection is not null => new MigrationItem(name, row.Parses(value) ? MigrationOutcome.NoEffect : MigrationOutcome.Rejected, rejection.Reason),
                AnnotationStatus.Honoured => new MigrationItem(name, MigrationOutcome.CarriesOver, ""),
                AnnotationStatus.HonouredWithDifferences => new MigrationItem(name, MigrationOutcome.Differs, row.Notes),
                AnnotationStatus.NoEffect => new MigrationItem(name, MigrationOutcome.NoEffect, row.Notes),
                AnnotationStatus.Refused => new MigrationItem(name, MigrationOutcome.Refused, row.Notes),
                _ => new MigrationItem(name, MigrationOutcome.NotYet, row.Notes),
            });
        }

        items.AddRange(rejections.Select(r => new MigrationItem(r.Field, MigrationOutcome.Rejected, r.Reason)));
        var routes = desired.Hosts.Values.SelectMany(r => r).Count(r => r.Source == source || r.Canary?.Source == source);
        var services = Backends(ingress).Select(b => $"{ns}/{b.Name}").Where(assumed.ContainsKey).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Select(s => $"Service {s}");
        return new MigrationEntry(source, routes, [.. items], [.. services, .. assumedSecrets.Distinct(StringComparer.Ordinal)]);
    }

    private static MigrationEntry ConfigMapEntry(string key, V1ConfigMap map, ImmutableArray<Rejection> rejections)
    {
        var source = $"ConfigMap {key}";
        var items = new List<MigrationItem>();
        foreach (var (name, value) in map.Data ?? new Dictionary<string, string>())
        {
            var row = ControllerConfigTable.Find(name);
            var rejection = rejections.FirstOrDefault(r => r.Object == source && r.Field == $"data[{name}]");
            items.Add((row, rejection) switch
            {
                (null, _) => new MigrationItem(name, MigrationOutcome.Rejected, rejection?.Reason ?? ""),
                ({ IsHonoured: true }, { } r) => new MigrationItem(name, r.Reason.StartsWith("has no effect", StringComparison.Ordinal) ? MigrationOutcome.NoEffect : MigrationOutcome.Rejected, r.Reason),
                ({ Status: AnnotationStatus.Honoured }, null) => new MigrationItem(name, MigrationOutcome.CarriesOver, ""),
                ({ Status: AnnotationStatus.HonouredWithDifferences }, null) => new MigrationItem(name, MigrationOutcome.Differs, row.Notes),
                // A refused key set to what this proxy does anyway (allow-snippet-annotations: "false") is not reported.
                (_, null) => new MigrationItem(name, MigrationOutcome.NoEffect, $"\"{value}\" is what applies here"),
                ({ Status: AnnotationStatus.NoEffect }, _) => new MigrationItem(name, MigrationOutcome.NoEffect, row.Notes),
                ({ Status: AnnotationStatus.Refused }, _) => new MigrationItem(name, MigrationOutcome.Refused, row.Notes),
                _ => new MigrationItem(name, MigrationOutcome.NotYet, row.Notes),
            });
        }

        return new MigrationEntry(source, 0, [.. items], []);
    }

    internal static IEnumerable<(string Name, V1ServiceBackendPort? Port)> Backends(V1Ingress ingress)
    {
        var backends = new[] { ingress.Spec?.DefaultBackend }
            .Concat((ingress.Spec?.Rules ?? []).SelectMany(r => r.Http?.Paths ?? []).Select(p => p.Backend));
        return backends.Where(b => !string.IsNullOrEmpty(b?.Service?.Name)).Select(b => (b!.Service.Name, (V1ServiceBackendPort?)b.Service.Port));
    }
}
