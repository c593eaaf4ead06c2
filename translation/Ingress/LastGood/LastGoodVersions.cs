using System.Collections.Immutable;
using k8s;
using k8s.Models;
using Orleans.Proxy.Routing;
using Orleans.Proxy.Translation.GatewayApi;
using Orleans.Proxy.Translation.Ingress.Incremental;

namespace Orleans.Proxy.Translation.Ingress.LastGood;

/// <summary>
/// Converts as <see cref="IngressConverter"/> does, but an object whose new version is refused whole keeps its last
/// accepted version serving, with a rejection saying so, until it is fixed or deleted: a bad edit must not turn a working
/// host into a 404. Refused whole: an Ingress whose match or access annotation does not parse or that has no rules, and
/// in files an Ingress or HTTPRoute with an unknown apiVersion or a field its schema does not have. One bad path (or
/// HTTPRoute rule) is not a whole refusal: the new version serves without it.
/// </summary>
/// <remarks>
/// The versions live in memory, in the route source that owns this (one reconcile loop, not thread-safe): after a
/// restart, or under a new leader, an object refused from the start has no previous version and serves nothing.
/// </remarks>
public sealed class LastGoodVersions
{
    public const string ServingPreviousVersion = "serving the previous version";

    private readonly Versions<V1Ingress> _ingresses = new("Ingress");
    private readonly Versions<HttpRoute> _httpRoutes = new(HttpRoute.KindName);
    private readonly Func<ClusterObjects, ConversionSettings?, DesiredState> _convert;

    // Both conversions of a pass go through one incremental converter: they differ only in the groups of the refused objects.
    public LastGoodVersions()
        : this(new IncrementalConverter().Convert)
    {
    }

    /// <param name="convert">The conversion; tests compare the incremental one with <see cref="IngressConverter.Convert"/>.</param>
    internal LastGoodVersions(Func<ClusterObjects, ConversionSettings?, DesiredState> convert)
    {
        _convert = convert;
    }

    /// <param name="objects">The objects as they are now.</param>
    /// <param name="unreadable">Objects present but not readable (<see cref="Files.KubernetesYamlReader.Result.Refused"/>), so refused, not deleted.</param>
    public DesiredState Convert(ClusterObjects objects, IReadOnlyCollection<string> unreadable, ConversionSettings? settings = null)
    {
        var converted = _convert(objects, settings);
        var refused = converted.Refused.Concat(unreadable).ToHashSet(StringComparer.Ordinal);
        var ingresses = _ingresses.Apply(objects.Ingresses, refused);
        var httpRoutes = _httpRoutes.Apply(objects.GatewayApi.HttpRoutes, refused);
        var kept = ingresses.Kept.Concat(httpRoutes.Kept).ToDictionary(k => k.Name, k => k.ResourceVersion, StringComparer.Ordinal);
        if (kept.Count == 0)
        {
            return converted;
        }

        var withPrevious = _convert(objects with
        {
            Ingresses = ingresses.Objects,
            GatewayApi = objects.GatewayApi with { HttpRoutes = httpRoutes.Objects },
        }, settings);

        // The rejections describe the objects as they are now (why the new version is refused), then what is served instead.
        return withPrevious with
        {
            Rejections = PrintableRejections.Of(
            [
                .. withPrevious.Rejections.Where(r => !kept.ContainsKey(r.Object)),
                .. converted.Rejections.Where(r => kept.ContainsKey(r.Object)),
                .. kept.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => new Rejection(k.Key, "(whole object)",
                    $"this version is refused; {ServingPreviousVersion} (resourceVersion {k.Value ?? "unknown"}) until it is fixed or deleted")),
            ]),
            Refused = converted.Refused,
        };
    }

    /// <summary>The last accepted version of each object of one kind, by "Kind namespace/name" (as rejections name objects).</summary>
    /// <remarks>
    /// A pass looks only at the objects inside the <see cref="ChangedRange"/> from the last pass's input and at the names
    /// refused then or now: a change costs what it touched, not one name per object.
    /// </remarks>
    private sealed class Versions<T>(string kind)
        where T : class, IMetadata<V1ObjectMeta>
    {
        private readonly Dictionary<string, T> _last = new(StringComparer.Ordinal);

        // The last pass's input, its objects by name (in input order) and the names it refused.
        private readonly Dictionary<string, List<T>> _present = new(StringComparer.Ordinal);
        private ImmutableArray<T> _input = [];
        private HashSet<string> _refused = new(StringComparer.Ordinal);

        /// <summary>Forgets deleted objects, remembers accepted ones; the objects to convert, with previous versions in place of refused ones.</summary>
        public (ImmutableArray<T> Objects, List<(string Name, string? ResourceVersion)> Kept) Apply(ImmutableArray<T> current, HashSet<string> refused)
        {
            // An object not refused now has as last version the last one of its name in the input, or none; a refused one keeps its own.
            // That holds from the last pass for every name outside the changed objects and the refusals of both passes.
            foreach (var name in Present(current).Concat(_refused).Where(n => !refused.Contains(n)))
            {
                if (_present.TryGetValue(name, out var objects))
                {
                    _last[name] = objects[^1];
                }
                else
                {
                    _last.Remove(name);
                }
            }

            _refused = refused;
            var kept = refused.Where(_last.ContainsKey).ToList();
            if (kept.Count == 0)
            {
                return (current, []);
            }

            var replaced = kept.SelectMany(k => _present.GetValueOrDefault(k, [])).ToHashSet(ReferenceEqualityComparer.Instance);
            return (
                [.. current.Where(o => !replaced.Contains(o)), .. kept.Order(StringComparer.Ordinal).Select(k => _last[k])],
                [.. kept.Select(k => (k, _last[k].Metadata?.ResourceVersion))]);
        }

        /// <summary>Brings the objects by name up to <paramref name="current"/>; the names whose objects changed.</summary>
        private HashSet<string> Present(ImmutableArray<T> current)
        {
            var range = ChangedRange.Of(current, _input);
            var input = _input;
            _input = current;

            // The objects inside the range left, or came.
            var left = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var o in range.In(input))
            {
                var name = Name(o);
                left[name] = left.GetValueOrDefault(name) + 1;
            }

            var came = new Dictionary<string, List<T>>(StringComparer.Ordinal);
            foreach (var o in range.In(current))
            {
                Add(came, Name(o), o);
            }

            // A name of one object before and after is brought up to date here; one that several objects share (a
            // duplicate) is looked for again in the whole input, since which comes last depends on the objects outside.
            var touched = left.Keys.Union(came.Keys).ToHashSet(StringComparer.Ordinal);
            var again = new HashSet<string>(StringComparer.Ordinal);
            foreach (var name in touched)
            {
                var before = _present.GetValueOrDefault(name)?.Count ?? 0;
                var arrived = came.GetValueOrDefault(name);
                if (before > 1 || before - left.GetValueOrDefault(name) + (arrived?.Count ?? 0) > 1)
                {
                    again.Add(name);
                    _present.Remove(name);
                }
                else if (arrived is not null)
                {
                    _present[name] = arrived;
                }
                else
                {
                    _present.Remove(name);
                }
            }

            if (again.Count > 0)
            {
                foreach (var o in current)
                {
                    if (Name(o) is var name && again.Contains(name))
                    {
                        Add(_present, name, o);
                    }
                }
            }

            return touched;
        }

        private static void Add(Dictionary<string, List<T>> byName, string name, T item)
        {
            if (!byName.TryGetValue(name, out var objects))
            {
                byName[name] = objects = [];
            }

            objects.Add(item);
        }

        private string Name(T item) => $"{kind} {IngressConverter.ObjectKey(item.Metadata)}";
    }
}
