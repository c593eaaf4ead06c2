using Orleans.Proxy.Routing;

namespace Orleans.Proxy.Translation.Annotations;

/// <summary>ingress-nginx's enable-cors and cors-* annotations of one Ingress, read as a <see cref="CorsSpec"/>.</summary>
internal static class CorsAnnotations
{
    /// <summary>The CORS settings; null when CORS is off or a cors-* value does not parse (each is rejected with its reason).</summary>
    public static CorsSpec? Read(AnnotationReader annotations)
    {
        var enabled = annotations.Read(AnnotationTable.NginxEnableCors);
        if (!enabled.Value)
        {
            foreach (var row in AnnotationTable.Read.Where(r => r.Feature == AnnotationFeature.Cors && r != AnnotationTable.NginxEnableCors && annotations.IsSet(r)))
            {
                annotations.Reject(row.Name, $"has no effect without {AnnotationTable.NginxEnableCors.Name}: \"true\"");
            }

            return null;
        }

        var origins = annotations.Read(AnnotationTable.NginxCorsAllowOrigin);
        var methods = annotations.Read(AnnotationTable.NginxCorsAllowMethods);
        var headers = annotations.Read(AnnotationTable.NginxCorsAllowHeaders);
        var expose = annotations.Read(AnnotationTable.NginxCorsExposeHeaders);
        var credentials = annotations.Read(AnnotationTable.NginxCorsAllowCredentials);
        var maxAge = annotations.Read(AnnotationTable.NginxCorsMaxAge);
        // A half-read policy could allow what the Ingress did not mean to: CORS stays off instead (the browser then refuses).
        return origins.IsInvalid || methods.IsInvalid || headers.IsInvalid || expose.IsInvalid || credentials.IsInvalid || maxAge.IsInvalid
            ? null
            : new CorsSpec(origins.Value, methods.Value, headers.Value, expose.Value, credentials.Value, maxAge.Value);
    }
}
