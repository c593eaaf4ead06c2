using k8s.Models;
using Orleans.Proxy.Translation.Ingress;

namespace Orleans.Proxy.Translation.Migration;

/// <summary>
/// Services an Ingress names that are not (yet) among the objects, assumed to exist with the ports it names:
/// the migration report checks a folder of Ingresses alone, and the admission webhook does not refuse an
/// Ingress applied before its Service.
/// </summary>
public static class AssumedServices
{
    /// <summary>The objects plus a Service for each one an Ingress names that the input lacks, with the ports it names; and those assumed.</summary>
    public static (ClusterObjects Objects, IReadOnlyDictionary<string, string> Assumed) Add(ClusterObjects objects)
    {
        var present = objects.Services.Select(s => IngressConverter.ObjectKey(s.Metadata)).ToHashSet(StringComparer.Ordinal);
        var wanted = new SortedDictionary<string, HashSet<V1ServiceBackendPort>>(StringComparer.Ordinal);
        foreach (var ingress in objects.Ingresses)
        {
            var ns = ingress.Metadata?.NamespaceProperty ?? "default";
            foreach (var (name, port) in MigrationReport.Backends(ingress).Where(b => !present.Contains($"{ns}/{b.Name}")))
            {
                if (!wanted.TryGetValue($"{ns}/{name}", out var ports))
                {
                    wanted[$"{ns}/{name}"] = ports = [];
                }

                if (port is not null)
                {
                    ports.Add(port);
                }
            }
        }

        var services = wanted.Select(w => new V1Service
        {
            Metadata = new V1ObjectMeta { NamespaceProperty = w.Key.Split('/')[0], Name = w.Key.Split('/')[1] },
            Spec = new V1ServiceSpec
            {
                Ports = [.. w.Value.Select((p, i) => new V1ServicePort { Port = p.Number ?? 30000 + i, Name = p.Number is null ? p.Name : null })
                    .DistinctBy(p => (p.Port, p.Name))],
            },
        });
        return (objects with { Services = [.. objects.Services, .. services] }, wanted.ToDictionary(w => w.Key, w => w.Key, StringComparer.Ordinal));
    }
}
