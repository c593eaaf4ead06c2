using System.Collections.Immutable;
using k8s.Models;
using Orleans.Proxy.Translation.Ingress.Backends;
using Orleans.Proxy.Translation.Ingress.Incremental;

namespace Orleans.Proxy.Translation.Ingress;

/// <summary>
/// The Services, EndpointSlices (by their Service) and Secrets of one set of <see cref="ClusterObjects"/>, by
/// "namespace/name". A recording view also notes every key looked up, found or not: the objects a conversion read,
/// which <see cref="Incremental.IncrementalConverter"/> compares with the keys that changed to know what to convert again.
/// </summary>
internal sealed class ClusterIndex
{
    private const string ServicePrefix = "Service ";
    private const string SlicesPrefix = "EndpointSlices ";
    private const string SecretPrefix = "Secret ";

    private readonly Table<V1Service> _services;
    private readonly Table<V1EndpointSlice> _slices;
    private readonly Table<V1Secret> _secrets;
    private readonly HashSet<string>? _reads;

    public ClusterIndex(ClusterObjects objects)
        : this(objects, null, [])
    {
    }

    /// <summary>The index of <paramref name="objects"/>, taking from <paramref name="previous"/> each kind whose objects are all the same; the keys whose objects differ go into <paramref name="changed"/>.</summary>
    public ClusterIndex(ClusterObjects objects, ClusterIndex? previous, HashSet<string> changed)
        : this(
            Table<V1Service>.Of(objects.Services, previous?._services, s => IngressConverter.ObjectKey(s.Metadata), ServicePrefix, changed),
            Table<V1EndpointSlice>.Of(objects.EndpointSlices, previous?._slices, SliceKey, SlicesPrefix, changed),
            Table<V1Secret>.Of(objects.Secrets, previous?._secrets, s => IngressConverter.ObjectKey(s.Metadata), SecretPrefix, changed),
            null)
    {
    }

    private ClusterIndex(Table<V1Service> services, Table<V1EndpointSlice> slices, Table<V1Secret> secrets, HashSet<string>? reads)
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

    private List<T>? Lookup<T>(Table<T> table, string prefix, string key)
        where T : class
    {
        _reads?.Add(prefix + key);
        return table.ByKey.GetValueOrDefault(key);
    }

    /// <summary>A slice's Service; null (not indexed) without the service-name label.</summary>
    private static string? SliceKey(V1EndpointSlice slice) =>
        slice.Metadata?.Labels?.TryGetValue(BackendResolver.ServiceNameLabel, out var service) == true
            ? $"{slice.Metadata.NamespaceProperty ?? "default"}/{service}"
            : null;

    /// <summary>The objects of one kind, and by key.</summary>
    private sealed class Table<T>(ImmutableArray<T> source, Dictionary<string, List<T>> byKey)
        where T : class
    {
        // A change of one file's objects is far under this; a resync or a bulk edit builds the table anew.
        private const int MaxPatched = 256;

        public ImmutableArray<T> Source { get; } = source;

        public Dictionary<string, List<T>> ByKey { get; } = byKey;

        public static Table<T> Of(ImmutableArray<T> source, Table<T>? previous, Func<T, string?> key, string prefix, HashSet<string> changed)
        {
            // Both route sources hand over the same object for one that did not change: a kind whose objects are all
            // the ones of last time is indexed already, without a key computed.
            if (previous is not null && Same(source, previous.Source))
            {
                return previous;
            }

            if (previous is not null && Patched(source, previous, key, prefix, changed) is { } patched)
            {
                return patched;
            }

            var byKey = new Dictionary<string, List<T>>(StringComparer.Ordinal);
            foreach (var o in source)
            {
                if (key(o) is not { } k)
                {
                    continue;
                }

                if (!byKey.TryGetValue(k, out var group))
                {
                    byKey[k] = group = [];
                }

                group.Add(o);
            }

            if (previous is not null)
            {
                Compare(byKey, previous.ByKey, prefix, changed);
            }

            return new Table<T>(source, byKey);
        }

        /// <summary>
        /// The table with only the objects between the first and the last that differ by reference from the previous
        /// input looked at (a rollout changes one EndpointSlice: keying and comparing all 10,000 was most of a change's
        /// conversion). Null, for a full build, when more than a few differ or a key they touch holds several objects,
        /// whose input order a full build keeps.
        /// </summary>
        private static Table<T>? Patched(ImmutableArray<T> source, Table<T> previous, Func<T, string?> key, string prefix, HashSet<string> changed)
        {
            var range = ChangedRange.Of(source, previous.Source);
            var removed = range.In(previous.Source);
            var added = range.In(source);
            if (removed.Length + added.Length > MaxPatched)
            {
                return null;
            }

            var byKey = new Dictionary<string, List<T>>(previous.ByKey, StringComparer.Ordinal);
            var touched = new HashSet<string>(StringComparer.Ordinal);
            foreach (var o in removed)
            {
                if (key(o) is not { } k)
                {
                    continue;
                }

                if (!byKey.TryGetValue(k, out var group) || group.Count != 1 || !ReferenceEquals(group[0], o))
                {
                    return null;
                }

                byKey.Remove(k);
                touched.Add(k);
            }

            foreach (var o in added)
            {
                if (key(o) is not { } k)
                {
                    continue;
                }

                if (!byKey.TryAdd(k, [o]))
                {
                    return null;
                }

                touched.Add(k);
            }

            foreach (var k in touched)
            {
                var before = previous.ByKey.GetValueOrDefault(k)?[0];
                if (!ReferenceEquals(before, byKey.GetValueOrDefault(k)?[0]))
                {
                    changed.Add(prefix + k);
                }
            }

            return new Table<T>(source, byKey);
        }

        private static bool Same(ImmutableArray<T> a, ImmutableArray<T> b)
        {
            if (a.Length != b.Length)
            {
                return false;
            }

            for (var i = 0; i < a.Length; i++)
            {
                if (!ReferenceEquals(a[i], b[i]))
                {
                    return false;
                }
            }

            return true;
        }

        private static void Compare(Dictionary<string, List<T>> current, Dictionary<string, List<T>> previous, string prefix, HashSet<string> changed)
        {
            foreach (var (key, objects) in current)
            {
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
}
