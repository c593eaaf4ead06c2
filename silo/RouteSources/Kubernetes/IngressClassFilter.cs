using k8s.Models;

namespace Orleans.Proxy.Silo.RouteSources.Kubernetes;

/// <summary>
/// Which Ingresses are ours: spec.ingressClassName, else the legacy kubernetes.io/ingress.class
/// annotation, names an IngressClass whose spec.controller is ours; an Ingress with neither is
/// ours when one of our IngressClasses is marked default.
/// </summary>
internal static class IngressClassFilter
{
    public const string LegacyClassAnnotation = "kubernetes.io/ingress.class";
    public const string DefaultClassAnnotation = "ingressclass.kubernetes.io/is-default-class";

    public static IEnumerable<V1Ingress> Ours(IEnumerable<V1IngressClass> classes, IEnumerable<V1Ingress> ingresses, string controllerName)
    {
        var ours = classes.Where(c => c.Spec?.Controller == controllerName).ToList();
        var names = ours.Select(c => c.Metadata.Name).ToHashSet(StringComparer.Ordinal);
        var isDefault = ours.Any(c => c.Metadata.Annotations?.TryGetValue(DefaultClassAnnotation, out var value) == true
            && string.Equals(value, "true", StringComparison.OrdinalIgnoreCase));
        return ingresses.Where(i =>
        {
            var className = i.Spec?.IngressClassName
                ?? (i.Metadata.Annotations?.TryGetValue(LegacyClassAnnotation, out var legacy) == true ? legacy : null);
            return className is null ? isDefault : names.Contains(className);
        });
    }
}
