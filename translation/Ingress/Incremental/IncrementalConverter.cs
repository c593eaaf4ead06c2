using System.Collections.Immutable;
using k8s.Models;
using Orleans.Proxy.Routing;
using Orleans.Proxy.Translation.Ingress.Conflicts;
using Orleans.Proxy.Translation.Settings;

namespace Orleans.Proxy.Translation.Ingress.Incremental;

/// <summary>
/// Converts as <see cref="IngressConverter.Convert"/> does, with the same output, but a change costs in proportion to
/// what it touches: the Ingresses fall into groups that share nothing (<see cref="IngressLinks"/>), each group's part
/// is kept, and a pass converts again only the groups whose Ingresses changed or that read a Service, EndpointSlice
/// or Secret that changed. Objects are compared by reference: both route sources hand over the same object for one
/// that did not change (the file source keeps a file's reading while its bytes stay the same; informers keep their objects).
/// </summary>
/// <remarks>
/// What reaches every Ingress (the settings, the ConfigMaps) converts everything when it changes; with Gateway API
/// objects, whose routes share hosts and backends with Ingresses by rules of their own, every pass converts everything.
/// One route source owns an instance (not thread-safe).
/// </remarks>
internal sealed class IncrementalConverter
{
    private ClusterIndex? _index;
    private ConversionSettings? _settings;
    private ImmutableArray<V1ConfigMap> _configMaps;
    private ConversionSettings _applied = ConversionSettings.Default;
    private ImmutableArray<Rejection> _configRejections = [];
    private Dictionary<V1Ingress, string[]> _links = new(ReferenceEqualityComparer.Instance);
    private Dictionary<V1Ingress, Group> _groupOf = new(ReferenceEqualityComparer.Instance);
    private List<Group> _groups = [];
    private ImmutableSortedDictionary<string, ImmutableArray<RouteSpec>> _hosts = ImmutableSortedDictionary.Create<string, ImmutableArray<RouteSpec>>(StringComparer.Ordinal);
    private ImmutableSortedDictionary<string, BackendSpec> _backends = ImmutableSortedDictionary.Create<string, BackendSpec>(StringComparer.Ordinal);
    private ImmutableSortedDictionary<string, TlsCertificateSpec> _certificates = ImmutableSortedDictionary.Create<string, TlsCertificateSpec>(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _certificateUses = new(StringComparer.Ordinal);

    /// <summary>Groups converted since this instance was made: what tests count to see that unchanged groups are kept.</summary>
    internal int GroupsConverted { get; private set; }

    public DesiredState Convert(ClusterObjects objects, ConversionSettings? settings = null)
    {
        settings ??= ConversionSettings.Default;
        if (!objects.GatewayApi.IsEmpty)
        {
            Forget();
            return IngressConverter.Convert(objects, settings);
        }

        var index = new ClusterIndex(objects);
        HashSet<string> changed;
        if (_index is null || settings != _settings || !objects.ConfigMaps.SequenceEqual(_configMaps, (IEqualityComparer<V1ConfigMap>)ReferenceEqualityComparer.Instance))
        {
            Forget();
            var rejections = new List<Rejection>();
            _applied = ControllerConfig.Apply(settings, objects.ConfigMaps, rejections);
            _configRejections = PrintableRejections.Of(rejections);
            (_settings, _configMaps) = (settings, objects.ConfigMaps);
            changed = [];
        }
        else
        {
            changed = index.ChangedSince(_index);
        }

        _index = index;
        var groups = new List<Group>();
        var groupOf = new Dictionary<V1Ingress, Group>(ReferenceEqualityComparer.Instance);
        var kept = new HashSet<Group>();
        var added = new List<Group>();
        foreach (var ingresses in Partition(objects.Ingresses))
        {
            var group = Unchanged(ingresses, changed);
            if (group is null)
            {
                var reads = new HashSet<string>(StringComparer.Ordinal);
                group = new Group(ingresses, IngressConverter.ConvertPart(ingresses, objects, _applied, index.Recording(reads)), reads);
                GroupsConverted++;
                added.Add(group);
            }
            else
            {
                kept.Add(group);
            }

            groups.Add(group);
            foreach (var ingress in ingresses)
            {
                groupOf[ingress] = group;
            }
        }

        foreach (var removed in _groups.Where(g => !kept.Contains(g)))
        {
            Remove(removed.Part);
        }

        if (!added.All(g => TryAdd(g.Part)))
        {
            // Two groups gave one host or backend: a link IngressLinks does not know. Correct output first.
            Forget();
            return IngressConverter.Convert(objects, settings);
        }

        (_groups, _groupOf) = (groups, groupOf);
        var outcomes = IngressOrder.Of(groups.SelectMany(g => g.Part.Outcomes), o => o.Ingress, IngressConverter.IsCanary).ToList();
        return new DesiredState(_hosts, _backends, [.. _configRejections, .. outcomes.SelectMany(o => o.Rejections)])
        {
            Refused = [.. outcomes.SelectMany(o => o.Refused)],
            Certificates = _certificates,
        };
    }

    /// <summary>The Ingresses (in input order) by group: connected by any link they share.</summary>
    private List<List<V1Ingress>> Partition(ImmutableArray<V1Ingress> ingresses)
    {
        var links = new Dictionary<V1Ingress, string[]>(ReferenceEqualityComparer.Instance);
        var parent = new int[ingresses.Length];
        var first = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < ingresses.Length; i++)
        {
            parent[i] = i;
            if (!links.TryGetValue(ingresses[i], out var own))
            {
                links[ingresses[i]] = own = _links.TryGetValue(ingresses[i], out var known) ? known : IngressLinks.Of(ingresses[i]);
            }

            foreach (var link in own)
            {
                if (first.TryGetValue(link, out var other))
                {
                    parent[Root(parent, i)] = Root(parent, other);
                }
                else
                {
                    first[link] = i;
                }
            }
        }

        _links = links;
        var byRoot = new Dictionary<int, List<V1Ingress>>();
        var groups = new List<List<V1Ingress>>();
        for (var i = 0; i < ingresses.Length; i++)
        {
            if (!byRoot.TryGetValue(Root(parent, i), out var group))
            {
                byRoot[Root(parent, i)] = group = [];
                groups.Add(group);
            }

            group.Add(ingresses[i]);
        }

        return groups;
    }

    private static int Root(int[] parent, int i)
    {
        while (parent[i] != i)
        {
            i = parent[i] = parent[parent[i]];
        }

        return i;
    }

    /// <summary>The group these very Ingresses (in this order) made last pass, unless it read an object that changed since.</summary>
    private Group? Unchanged(List<V1Ingress> ingresses, HashSet<string> changed) =>
        _groupOf.TryGetValue(ingresses[0], out var group)
        && group.Ingresses.Count == ingresses.Count
        && group.Ingresses.SequenceEqual(ingresses, ReferenceEqualityComparer.Instance)
        && !group.Reads.Overlaps(changed)
            ? group
            : null;

    private void Remove(ConvertedPart part)
    {
        _hosts = _hosts.RemoveRange(part.Hosts.Keys);
        _backends = _backends.RemoveRange(part.Backends.Keys);
        foreach (var key in part.Certificates.Keys)
        {
            if (--_certificateUses[key] == 0)
            {
                _certificateUses.Remove(key);
                _certificates = _certificates.Remove(key);
            }
        }
    }

    /// <summary>Adds the part's outputs; false when another group has one of its hosts or backends.</summary>
    private bool TryAdd(ConvertedPart part)
    {
        if (part.Hosts.Keys.Any(_hosts.ContainsKey) || part.Backends.Keys.Any(_backends.ContainsKey))
        {
            return false;
        }

        _hosts = _hosts.AddRange(part.Hosts);
        _backends = _backends.AddRange(part.Backends);
        foreach (var (key, certificate) in part.Certificates)
        {
            // Groups that name one Secret read the same certificate from it: the first one's stays.
            _certificateUses[key] = _certificateUses.GetValueOrDefault(key) + 1;
            if (!_certificates.ContainsKey(key))
            {
                _certificates = _certificates.Add(key, certificate);
            }
        }

        return true;
    }

    private void Forget()
    {
        _index = null;
        _links.Clear();
        _groupOf.Clear();
        _groups = [];
        _hosts = _hosts.Clear();
        _backends = _backends.Clear();
        _certificates = _certificates.Clear();
        _certificateUses.Clear();
    }

    /// <summary>Ingresses converted together, what they gave, and the keys of the objects the conversion looked up.</summary>
    private sealed class Group(List<V1Ingress> ingresses, ConvertedPart part, HashSet<string> reads)
    {
        public List<V1Ingress> Ingresses { get; } = ingresses;

        public ConvertedPart Part { get; } = part;

        public HashSet<string> Reads { get; } = reads;
    }
}
