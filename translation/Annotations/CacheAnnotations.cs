using Orleans.Proxy.Caching;
using T = Orleans.Proxy.Translation.Annotations.AnnotationTable;

namespace Orleans.Proxy.Translation.Annotations;

/// <summary>
/// Reads orleans-proxy.io/cache and its settings through <see cref="AnnotationTable"/>. A malformed
/// setting is rejected alone and left at its default (which caches less, never more); the other
/// cache-* annotations without cache: "true" are reported as having no effect.
/// </summary>
internal static class CacheAnnotations
{
    private static readonly AnnotationDefinition[] Settings =
    [
        T.CacheDefaultTtl, T.CacheContentTypes, T.CacheMaxObjectSize, T.CacheVaryHeaders, T.CacheStaleIfError,
    ];

    public static CacheSpec? Read(AnnotationReader annotations)
    {
        var enabled = annotations.Read(T.Cache);
        if (!enabled.Value)
        {
            foreach (var orphan in Settings.Where(annotations.IsSet))
            {
                annotations.Reject(orphan.Name, $"has no effect without {T.Cache.Name}: \"true\"");
            }

            return null;
        }

        var ttl = annotations.Read(T.CacheDefaultTtl) is { IsValid: true } t ? t.Value : (TimeSpan?)null;
        var staleIfError = annotations.Read(T.CacheStaleIfError) is { IsValid: true } s ? s.Value : (TimeSpan?)null;
        var size = annotations.Read(T.CacheMaxObjectSize).Value;
        var types = annotations.Read(T.CacheContentTypes).Value;
        var vary = annotations.Read(T.CacheVaryHeaders).Value;
        return new CacheSpec(ttl, types, size, vary, staleIfError);
    }
}
