using System.Collections.Immutable;
using k8s;
using k8s.Models;
using Orleans.Proxy.Translation.Ingress;

namespace Orleans.Proxy.Translation.Files;

/// <summary>
/// A file read again after an edit mostly holds the objects it held before. Each object equal (same kind,
/// namespace/name and content) to one of the previous reading is given as that previous object, so the incremental
/// conversion, which compares objects by reference, converts again only what the edit changed, not the whole file.
/// </summary>
public static class UnchangedObjects
{
    public static ClusterObjects Keep(ClusterObjects previous, ClusterObjects current) =>
        ReferenceEquals(current, ClusterObjects.Empty) ? current : current with
        {
            Ingresses = Keep(previous.Ingresses, current.Ingresses),
            Services = Keep(previous.Services, current.Services),
            EndpointSlices = Keep(previous.EndpointSlices, current.EndpointSlices),
            Secrets = Keep(previous.Secrets, current.Secrets),
            ConfigMaps = Keep(previous.ConfigMaps, current.ConfigMaps),
            Namespaces = Keep(previous.Namespaces, current.Namespaces),
        };

    private static ImmutableArray<T> Keep<T>(ImmutableArray<T> previous, ImmutableArray<T> current)
        where T : class, IMetadata<V1ObjectMeta>
    {
        if (previous.IsEmpty)
        {
            return current;
        }

        var byKey = previous.GroupBy(o => IngressConverter.ObjectKey(o.Metadata), StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var kept = ImmutableArray.CreateBuilder<T>(current.Length);
        foreach (var o in current)
        {
            kept.Add(byKey.TryGetValue(IngressConverter.ObjectKey(o.Metadata), out var candidates) && Take(candidates, KubernetesJson.Serialize(o)) is { } same ? same : o);
        }

        return kept.MoveToImmutable();
    }

    /// <summary>The first candidate with this content, taken so that two equal documents stay two objects.</summary>
    private static T? Take<T>(List<T> candidates, string json)
        where T : class
    {
        var index = candidates.FindIndex(c => KubernetesJson.Serialize(c) == json);
        if (index < 0)
        {
            return null;
        }

        var same = candidates[index];
        candidates.RemoveAt(index);
        return same;
    }
}
