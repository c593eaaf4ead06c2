using System.Runtime.InteropServices;
using k8s;
using k8s.Models;
using Orleans.Proxy.Translation.Ingress;

namespace Orleans.Proxy.Translation.Files;

/// <summary>
/// A file read again after an edit mostly holds the objects it held before. An object read again that equals (same kind,
/// namespace/name and content) an object of the previous reading is given as that previous object, so the incremental
/// conversion, which compares objects by reference, converts again only what the edit changed, not a document whose
/// comment or layout was edited.
/// </summary>
/// <param name="previous">Objects of the previous reading that the new one does not already hold.</param>
internal sealed class UnchangedObjects(IEnumerable<object> previous)
{
    private readonly Dictionary<(Type Kind, string Key), List<object>> _previous = Group(previous);

    /// <summary>The previous object equal to <paramref name="current"/>, taken so that two equal documents stay two objects; else <paramref name="current"/>.</summary>
    public object Keep(object current)
    {
        if (Key(current) is not { } key || !_previous.TryGetValue(key, out var candidates))
        {
            return current;
        }

        var json = KubernetesJson.Serialize(current);
        var index = candidates.FindIndex(c => KubernetesJson.Serialize(c) == json);
        if (index < 0)
        {
            return current;
        }

        var same = candidates[index];
        candidates.RemoveAt(index);
        return same;
    }

    private static Dictionary<(Type Kind, string Key), List<object>> Group(IEnumerable<object> objects)
    {
        var grouped = new Dictionary<(Type Kind, string Key), List<object>>();
        foreach (var o in objects)
        {
            if (Key(o) is { } key)
            {
                (CollectionsMarshal.GetValueRefOrAddDefault(grouped, key, out _) ??= []).Add(o);
            }
        }

        return grouped;
    }

    /// <summary>The kinds the incremental conversion compares by reference.</summary>
    private static (Type Kind, string Key)? Key(object o) =>
        o is V1Ingress or V1Service or V1EndpointSlice or V1Secret or V1ConfigMap or V1Namespace
            ? (o.GetType(), IngressConverter.ObjectKey(((IMetadata<V1ObjectMeta>)o).Metadata))
            : null;
}
