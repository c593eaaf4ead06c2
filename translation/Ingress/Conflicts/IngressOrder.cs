using k8s.Models;

namespace Orleans.Proxy.Translation.Ingress.Conflicts;

/// <summary>
/// The order a conversion reads Ingresses in, which decides every conflict: oldest first, as
/// ingress-nginx does, so on a conflict the route that was there first keeps serving (ties: by
/// namespace/name); canary Ingresses after all others, since they attach to their main Ingress's routes.
/// </summary>
internal static class IngressOrder
{
    public static IEnumerable<V1Ingress> Of(IEnumerable<V1Ingress> ingresses, Func<V1Ingress, bool> isCanary) => Of(ingresses, i => i, isCanary);

    /// <summary>Items in the order of their Ingresses; the sort is stable, so items of one Ingress keep theirs.</summary>
    public static IEnumerable<T> Of<T>(IEnumerable<T> items, Func<T, V1Ingress> ingress, Func<V1Ingress, bool> isCanary) =>
        items
            .OrderBy(i => isCanary(ingress(i)))
            .ThenBy(i => ingress(i).Metadata?.CreationTimestamp ?? DateTime.MinValue)
            .ThenBy(i => IngressConverter.ObjectKey(ingress(i).Metadata), StringComparer.Ordinal);
}
