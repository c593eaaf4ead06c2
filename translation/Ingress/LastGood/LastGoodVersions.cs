using k8s.Models;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.Translation.Ingress.LastGood;

/// <summary>
/// Converts as <see cref="IngressConverter"/> does, but an Ingress whose new version is refused whole (a match or
/// access annotation that does not parse, no rules, or in files an unknown apiVersion or a schema mismatch) keeps
/// its last accepted version serving, with a rejection saying so, until it is fixed or deleted: a bad edit must not
/// turn a working host into a 404. One bad path is not a whole refusal: the new version serves without that path.
/// </summary>
/// <remarks>
/// The versions live in memory, in the route source that owns this (one reconcile loop, not thread-safe): after a
/// restart, or under a new leader, an object refused from the start has no previous version and serves nothing.
/// </remarks>
public sealed class LastGoodVersions
{
    public const string ServingPreviousVersion = "serving the previous version";

    private readonly Dictionary<string, V1Ingress> _ingresses = new(StringComparer.Ordinal);

    /// <param name="objects">The objects as they are now.</param>
    /// <param name="unreadable">Objects present but not readable (<see cref="Files.KubernetesYamlReader.Result.Refused"/>), so refused, not deleted.</param>
    public DesiredState Convert(ClusterObjects objects, IReadOnlyCollection<string> unreadable, ConversionSettings? settings = null)
    {
        var converted = IngressConverter.Convert(objects, settings);
        var refused = converted.Refused.Concat(unreadable).ToHashSet(StringComparer.Ordinal);
        var present = objects.Ingresses.Select(Name).ToHashSet(StringComparer.Ordinal);
        foreach (var deleted in _ingresses.Keys.Where(k => !present.Contains(k) && !refused.Contains(k)).ToList())
        {
            _ingresses.Remove(deleted);
        }

        foreach (var ingress in objects.Ingresses.Where(i => !refused.Contains(Name(i))))
        {
            _ingresses[Name(ingress)] = ingress;
        }

        var kept = refused.Where(_ingresses.ContainsKey).Order(StringComparer.Ordinal).ToList();
        if (kept.Count == 0)
        {
            return converted;
        }

        var keptSet = kept.ToHashSet(StringComparer.Ordinal);
        var withPrevious = IngressConverter.Convert(objects with
        {
            Ingresses = [.. objects.Ingresses.Where(i => !keptSet.Contains(Name(i))), .. kept.Select(k => _ingresses[k])],
        }, settings);

        // The rejections describe the objects as they are now (why the new version is refused), then what is served instead.
        return withPrevious with
        {
            Rejections = PrintableRejections.Of(
            [
                .. withPrevious.Rejections.Where(r => !keptSet.Contains(r.Object)),
                .. converted.Rejections.Where(r => keptSet.Contains(r.Object)),
                .. kept.Select(k => new Rejection(k, "(whole object)",
                    $"this version is refused; {ServingPreviousVersion} (resourceVersion {_ingresses[k].Metadata?.ResourceVersion ?? "unknown"}) until it is fixed or deleted")),
            ]),
            Refused = converted.Refused,
        };
    }

    private static string Name(V1Ingress ingress) => $"Ingress {IngressConverter.ObjectKey(ingress.Metadata)}";
}
