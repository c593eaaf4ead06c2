using System.Collections.Immutable;
using System.Runtime.CompilerServices;
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
/// that did not change (the file source keeps a file's reading while its bytes stay the same; informers keep their objects),
/// so a pass looks only at the Ingresses inside the <see cref="ChangedRange"/> and at the groups they and the changed
/// objects reach.
/// </summary>
/// <remarks>
/// What reaches every Ingress (the settings, the ConfigMaps) converts everything when it changes; with Gateway API
/// objects, whose routes share hosts and backends with Ingresses by rules of their own, every pass converts everything.
/// One route source owns an instance (not thread-safe).
/// </remarks>
internal sealed class IncrementalConverter
{
    private readonly Dictionary<string, int> _linkIds = new(StringComparer.Ordinal);
    private readonly ConditionalWeakTable<V1Ingress, int[]> _links = new();
    private readonly ConditionalWeakTable<V1Ingress, Group> _groupOf = new();
    private readonly ConditionalWeakTable<V1Ingress, int[]>.CreateValueCallback _linksOf;
    private readonly Dictionary<string, int> _certificateUses = new(StringComparer.Ordinal);
    private ClusterIndex? _index;
    private ConversionSettings? _settings;
    private ImmutableArray<V1ConfigMap> _configMaps = [];
    private ConversionSettings _applied = ConversionSettings.Default;
    private ImmutableArray<Rejection> _configRejections = [];
    private readonly HashSet<Group> _groups = [];
    private readonly HashSet<Group> _withOutcomes = [];
    private readonly Dictionary<int, Group> _groupOfLink = [];

    // The groups that read each Service, EndpointSlice or Secret key: a changed object finds its readers at once
    // (looking through every group's reads cost the number of groups, 10,000 at 10,000 hosts, on every change).
    private readonly Dictionary<string, HashSet<Group>> _readers = new(StringComparer.Ordinal);
    private ImmutableArray<V1Ingress> _input = [];
    private ImmutableSortedDictionary<string, ImmutableArray<RouteSpec>> _hosts = ImmutableSortedDictionary.Create<string, ImmutableArray<RouteSpec>>(StringComparer.Ordinal);
    private ImmutableSortedDictionary<string, BackendSpec> _backends = ImmutableSortedDictionary.Create<string, BackendSpec>(StringComparer.Ordinal);
    private ImmutableSortedDictionary<string, TlsCertificateSpec> _certificates = ImmutableSortedDictionary.Create<string, TlsCertificateSpec>(StringComparer.Ordinal);

    public IncrementalConverter()
    {
        _linksOf = ingress => [.. IngressLinks.Of(ingress).Select(LinkId)];
    }

    /// <summary>Groups converted since this instance was made: what tests count to see that unchanged groups are kept.</summary>
    internal int GroupsConverted { get; private set; }

    /// <summary>Passes that found two groups giving one host or backend (a link <see cref="IngressLinks"/> misses): tests expect none.</summary>
    internal int LinksMissed { get; private set; }

    public DesiredState Convert(ClusterObjects objects, ConversionSettings? settings = null)
    {
        settings ??= ConversionSettings.Default;
        if (!objects.GatewayApi.IsEmpty)
        {
            Forget();
            return IngressConverter.Convert(objects, settings);
        }

        if (settings != _settings || !objects.ConfigMaps.SequenceEqual(_configMaps, (IEqualityComparer<V1ConfigMap>)ReferenceEqualityComparer.Instance))
        {
            Forget();
            var rejections = new List<Rejection>();
            _applied = ControllerConfig.Apply(settings, objects.ConfigMaps, rejections);
            _configRejections = PrintableRejections.Of(rejections);
            (_settings, _configMaps) = (settings, objects.ConfigMaps);
        }

        if (_linkIds.Count > 2 * _groupOfLink.Count + 10_000)
        {
            // Names and hosts of objects long gone: number the links anew, all groups with them.
            Forget();
            _linkIds.Clear();
            _links.Clear();
        }

        var changed = new HashSet<string>(StringComparer.Ordinal);
        var index = _index = new ClusterIndex(objects, _index, changed);
        var affected = Affected(objects.Ingresses, changed, out var regrouped);
        var added = new List<Group>();
        foreach (var members in Partition(regrouped))
        {
            if (Unchanged(members, affected, changed) is { } kept)
            {
                affected.Remove(kept);
                continue;
            }

            List<V1Ingress> ingresses = [.. members.Span];
            var reads = new HashSet<string>(StringComparer.Ordinal);
            var links = ingresses.SelectMany(i => _links.GetValue(i, _linksOf)).Distinct().ToArray();
            var group = new Group(ingresses, IngressConverter.ConvertPart(ingresses, objects, _applied, index.Recording(reads)), reads, links);
            GroupsConverted++;
            foreach (var ingress in ingresses)
            {
                _groupOf.AddOrUpdate(ingress, group);
            }

            added.Add(group);
        }

        foreach (var removed in affected)
        {
            Remove(removed);
        }

        if (!added.All(TryAdd))
        {
            // Two groups gave one host or backend: a link IngressLinks does not know. Correct output first.
            LinksMissed++;
            Forget();
            return IngressConverter.Convert(objects, settings);
        }

        var outcomes = IngressOrder.Of(_withOutcomes.SelectMany(g => g.Part.Outcomes), o => o.Ingress, IngressConverter.IsCanary).ToList();
        return new DesiredState(_hosts, _backends, [.. _configRejections, .. outcomes.SelectMany(o => o.Rejections)])
        {
            Refused = [.. outcomes.SelectMany(o => o.Refused)],
            Certificates = _certificates,
        };
    }

    /// <summary>
    /// The groups a pass takes apart, and the Ingresses to group again (theirs and the new ones, in input order): the
    /// groups of the Ingresses that left, those a new Ingress links to and those that read an object that changed.
    /// </summary>
    /// <remarks>
    /// The Ingresses outside the <see cref="ChangedRange"/> are the last input's, in their groups. The order of those
    /// grouped again is read off the input, by reference: every copy of one object is in one group (its name is a link).
    /// </remarks>
    private HashSet<Group> Affected(ImmutableArray<V1Ingress> current, HashSet<string> changed, out V1Ingress[] regrouped)
    {
        var range = ChangedRange.Of(current, _input);
        var input = _input;
        _input = current;
        var affected = new HashSet<Group>();
        foreach (var left in range.In(input))
        {
            if (_groupOf.TryGetValue(left, out var group) && _groups.Contains(group))
            {
                affected.Add(group);
            }
        }

        var came = range.In(current);
        foreach (var ingress in came)
        {
            foreach (var link in _links.GetValue(ingress, _linksOf))
            {
                if (_groupOfLink.TryGetValue(link, out var group))
                {
                    affected.Add(group);
                }
            }
        }

        foreach (var key in changed)
        {
            if (_readers.TryGetValue(key, out var readers))
            {
                affected.UnionWith(readers);
            }
        }

        if (came.Length == current.Length)
        {
            regrouped = [.. current];
            return affected;
        }

        var again = affected.SelectMany(g => g.Ingresses).ToHashSet(ReferenceEqualityComparer.Instance);
        foreach (var ingress in came)
        {
            again.Add(ingress);
        }

        regrouped = again.Count == 0 ? [] : [.. current.Where(again.Contains)];
        return affected;
    }

    /// <summary>The Ingresses by group, each in input order: connected by any link they share (union-find over link ids).</summary>
    private List<ReadOnlyMemory<V1Ingress>> Partition(V1Ingress[] ingresses)
    {
        var n = ingresses.Length;
        var owner = new Dictionary<int, int>();
        var parent = new int[n];
        for (var i = 0; i < n; i++)
        {
            parent[i] = i;
            foreach (var link in _links.GetValue(ingresses[i], _linksOf))
            {
                if (!owner.TryAdd(link, i))
                {
                    parent[Root(parent, i)] = Root(parent, owner[link]);
                }
            }
        }

        // Members of one group side by side, in input order (a counting sort by root).
        var start = new int[n + 1];
        var roots = new int[n];
        for (var i = 0; i < n; i++)
        {
            roots[i] = Root(parent, i);
            start[roots[i] + 1]++;
        }

        for (var r = 0; r < n; r++)
        {
            start[r + 1] += start[r];
        }

        var ordered = new V1Ingress[n];
        var next = start[..n];
        for (var i = 0; i < n; i++)
        {
            ordered[next[roots[i]]++] = ingresses[i];
        }

        var groups = new List<ReadOnlyMemory<V1Ingress>>();
        for (var r = 0; r < n; r++)
        {
            if (start[r + 1] > start[r])
            {
                groups.Add(ordered.AsMemory(start[r], start[r + 1] - start[r]));
            }
        }

        return groups;
    }

    private int LinkId(string link)
    {
        if (!_linkIds.TryGetValue(link, out var id))
        {
            _linkIds[link] = id = _linkIds.Count;
        }

        return id;
    }

    private static int Root(int[] parent, int i)
    {
        while (parent[i] != i)
        {
            i = parent[i] = parent[parent[i]];
        }

        return i;
    }

    /// <summary>The group taken apart that these very Ingresses (in this order) made, unless it read an object that changed since.</summary>
    private Group? Unchanged(ReadOnlyMemory<V1Ingress> members, HashSet<Group> affected, HashSet<string> changed)
    {
        var span = members.Span;
        if (!_groupOf.TryGetValue(span[0], out var group) || !affected.Contains(group) || group.Ingresses.Count != span.Length)
        {
            return null;
        }

        for (var i = 0; i < span.Length; i++)
        {
            if (!ReferenceEquals(group.Ingresses[i], span[i]))
            {
                return null;
            }
        }

        return changed.Count > 0 && group.Reads.Overlaps(changed) ? null : group;
    }

    private void Remove(Group group)
    {
        _groups.Remove(group);
        _withOutcomes.Remove(group);
        foreach (var link in group.Links)
        {
            _groupOfLink.Remove(link);
        }

        foreach (var key in group.Reads)
        {
            if (_readers.TryGetValue(key, out var readers) && readers.Remove(group) && readers.Count == 0)
            {
                _readers.Remove(key);
            }
        }

        var part = group.Part;
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

    /// <summary>Adds the group and its part's outputs; false when another group has one of its hosts or backends.</summary>
    private bool TryAdd(Group group)
    {
        var part = group.Part;
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

        _groups.Add(group);
        if (!part.Outcomes.IsEmpty)
        {
            _withOutcomes.Add(group);
        }

        foreach (var link in group.Links)
        {
            _groupOfLink[link] = group;
        }

        foreach (var key in group.Reads)
        {
            if (!_readers.TryGetValue(key, out var readers))
            {
                _readers[key] = readers = [];
            }

            readers.Add(group);
        }

        return true;
    }

    /// <summary>Drops every group, so the next pass converts everything.</summary>
    private void Forget()
    {
        _settings = null;
        _index = null;
        _groupOf.Clear();
        _groups.Clear();
        _withOutcomes.Clear();
        _groupOfLink.Clear();
        _readers.Clear();
        _input = [];
        _hosts = _hosts.Clear();
        _backends = _backends.Clear();
        _certificates = _certificates.Clear();
        _certificateUses.Clear();
    }

    /// <summary>Ingresses converted together, what they gave, the keys of the objects the conversion looked up, and their links.</summary>
    private sealed class Group(List<V1Ingress> ingresses, ConvertedPart part, HashSet<string> reads, int[] links)
    {
        public List<V1Ingress> Ingresses { get; } = ingresses;

        public ConvertedPart Part { get; } = part;

        public HashSet<string> Reads { get; } = reads;

        public int[] Links { get; } = links;
    }
}
