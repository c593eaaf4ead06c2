using k8s.Models;
using Orleans.Proxy.Translation.Annotations;

namespace Orleans.Proxy.Translation.Ingress.Authentication;

/// <summary>The Secrets Ingresses name in auth-secret, the only non-TLS Secrets whose data a route source keeps.</summary>
public static class AuthSecretReferences
{
    /// <summary>"namespace/name" of each Secret an auth-secret annotation names in its Ingress's namespace.</summary>
    public static IReadOnlySet<string> Of(IEnumerable<V1Ingress> ingresses) =>
        ingresses.Select(i => AnnotationReader.Peek(i.Metadata?.Annotations, AnnotationTable.NginxAuthSecret) is { IsValid: true, Value: { } reference }
                ? AuthAnnotations.SecretKey(reference, i.Metadata?.NamespaceProperty ?? "default")
                : null)
            .OfType<string>()
            .ToHashSet(StringComparer.Ordinal);
}
