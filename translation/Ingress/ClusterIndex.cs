using k8s.Models;
using Orleans.Proxy.Translation.Ingress.Backends;

namespace Orleans.Proxy.Translation.Ingress;

/// <summary>
/// The Services, EndpointSlices (by their Service) and Secrets of one set of <see cref="ClusterObjects"/>, by
/// "namespace/name". A recording view also notes every key looked up, found or not: the objects a conversion read,
/// which <see cref="Incremental.IncrementalConverter"/> compares with the keys that changed to know what to convert again.
/// </summary>
internal sealed class ClusterIndex
{
    private readonly Dictionary<string, List<V1Service>> _services;
    private readonly Dictionary<string, List<V1EndpointSlice>> _slices;
    private readonly Dictionary<string, List<V1Secret>> _secrets;
    private readonly HashSet<string>? _reads;

    public ClusterIndex(ClusterObjects objects)
        : this(
            Group(objects.Services, s => IngressConverter.ObjectKey(s.Metadata)),
            Group(objects.EndpointSlices.Where(s => s.Metadata?.Labels?.ContainsKey(BackendResolver.ServiceNameLabel) == true),
                s => $"{s.Metadata.NamespaceProperty ?? "default"}/{s.Metadata.Labels[BackendResolver.ServiceNameLabel]}"),
            Group(objects.Secrets, s => IngressConverter.ObjectKey(s.Metadata)),
            null)
    {
    }

    private ClusterIndex(Dictionary<string, List<V1Service>> services, Dictionary<string, List<V1EndpointSlice>> slices, Dictionary<string, List<V1Secret>> secrets, HashSet<string>? reads)
    {
        _services = services;
        _slices = slices;
        _secrets = secrets;
        _reads = reads;
    }

    /// <summary>The same index, noting each key looked up through it in <paramref name="reads"/>.</summary>
    public ClusterIndex Recording(HashSet<string> reads) => new(_services, _slices, _secrets, reads);

    /// <summary>The first Service "namespace/name" (a missing namespace counting as "default").</summary>
    public V1Service? Service(string key) => Lookup(_services, ServicePrefix, key)?[0];

    /// <summary>The first Service whose metadata names exactly this namespace and name.</summary>
    public V1Service? ServiceIn(string ns, string name) =>
        Lookup(_services, ServicePrefix, $"{ns}/{name}")?.FirstOrDefault(s => s.Metadata?.NamespaceProperty == ns);

    /// <summary>The EndpointSlices of the Service "namespace/name", in input order.</summary>
    public IReadOnlyList<V1EndpointSlice> Slices(string serviceKey) => Lookup(_slices, SlicesPrefix, serviceKey) ?? [];

    /// <summary>The first Secret "namespace/name".</summary>
    public V1Secret? Secret(string key) => Lookup(_secrets, SecretPrefix, key)?[0];

    /// <summary>The keys (as recorded) whose objects are not the very ones <paramref name="previous"/> held: added, removed or replaced.</summary>
    public HashSet<string> ChangedSince(ClusterIndex previous)
    {
        var changed = new HashSet<string>(StringComparer.Ordinal);
        Compare(_services, previous._services, ServicePrefix, changed);
        Compare(_slices, previous._slices, SlicesPrefix, changed);
        Compare(_secrets, previous._secrets, SecretPrefix, changed);
        return changed;
    }

    private const string ServicePrefix = "Service ";
    private const string SlicesPrefix = "EndpointSlices ";
    private const string SecretPrefix = "Secret ";

    private List<T>? Lookup<T>(Dictionary<string, List<T>> objects, string prefix, string key)
    {
        _reads?.Add(prefix + key);
        return objects.GetValueOrDefault(key);
    }

    private static Dictionary<string, List<T>> Group<T>(IEnumerable<T> objects, Func<T, string> key)
    {
        var groups = new Dictionary<string, List<T>>(StringComparer.Ordinal);
        foreach (var o in objects)
        {
            if (!groups.TryGetValue(key(o), out var group))
            {
                groups[key(o)] = group = [];
            }

            group.Add(o);
        }

        return groups;
    }

    private static void Compare<T>(Dictionary<string, List<T>> current, Dictionary<string, List<T>> previous, string prefix, HashSet<string> changed)
        where T : class
    {
        foreach (var (key, objects) in current)
        {
            // References, not contents: both route sources hand over the same object for one that did not change.
            if (!previous.TryGetValue(key, out var before) || !objects.SequenceEqual(before, ReferenceEqualityComparer.Instance))
            {
                changed.Add(prefix + key);
            }
        }

        foreach (var key in previous.Keys.Where(k => !current.ContainsKey(k)))
        {
            changed.Add(prefix + key);
        }
    }
}
