using k8s.Models;

namespace Orleans.Proxy.Translation.Ingress.Conflicts;

/// <summary>
/// The order a conversion reads Ingresses in, which decides every conflict: oldest first, as
/// ingress-nginx does, so on a conflict the route that was there first keeps serving (ties: by
/// namespace/name); canary Ingresses after all others, since they attach to their main Ingress's routes.
/// </summary>
internal static class IngressOrder
{
    public static IEnumerable<V1Ingress> Of(IEnumerable<V1Ingress> ingresses, Func<V1Ingress, bool> isCanary) =>
        ingresses
            .OrderBy(isCanary)
            .ThenBy(i => i.Metadata?.CreationTimestamp ?? DateTime.MinValue)
            .ThenBy(i => IngressConverter.ObjectKey(i.Metadata), StringComparer.Ordinal);
}
