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
            Ingresses = [.. ingresses.Objects],
            GatewayApi = objects.GatewayApi with { HttpRoutes = [.. httpRoutes.Objects] },
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
    private sealed class Versions<T>(string kind)
        where T : IMetadata<V1ObjectMeta>
    {
        private readonly Dictionary<string, T> _last = new(StringComparer.Ordinal);

        /// <summary>Forgets deleted objects, remembers accepted ones; the objects to convert, with previous versions in place of refused ones.</summary>
        public (List<T> Objects, List<(string Name, string? ResourceVersion)> Kept) Apply(IReadOnlyList<T> current, HashSet<string> refused)
        {
            var present = current.Select(Name).ToHashSet(StringComparer.Ordinal);
            foreach (var deleted in _last.Keys.Where(k => !present.Contains(k) && !refused.Contains(k)).ToList())
            {
                _last.Remove(deleted);
            }

            foreach (var accepted in current.Where(o => !refused.Contains(Name(o))))
            {
                _last[Name(accepted)] = accepted;
            }

            var kept = refused.Where(_last.ContainsKey).ToHashSet(StringComparer.Ordinal);
            return (
                [.. current.Where(o => !kept.Contains(Name(o))), .. kept.Order(StringComparer.Ordinal).Select(k => _last[k])],
                [.. kept.Select(k => (k, _last[k].Metadata?.ResourceVersion))]);
        }

        private string Name(T item) => $"{kind} {IngressConverter.ObjectKey(item.Metadata)}";
    }
}
