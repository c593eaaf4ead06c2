using System.Text;
using System.Text.RegularExpressions;
using k8s.Models;

namespace Orleans.Proxy.Translation.Ingress;

/// <summary>
/// What the API server checks before it stores an object, checked again for objects read from files: a name and namespace
/// Kubernetes allows, and annotations within its size limit. Either refuses the whole object.
/// </summary>
internal static partial class ObjectNames
{
    /// <summary>The API server's limit on the total size of an object's annotation keys and values.</summary>
    public const int MaxAnnotationBytes = 256 * 1024;

    public static (string Field, string Reason)? Check(V1ObjectMeta metadata)
    {
        if (metadata.Name is { } name && (name.Length > 253 || !Subdomain().IsMatch(name)))
        {
            return ("metadata.name", $"'{Shorten(name)}' is not a Kubernetes object name (lower-case DNS subdomain, at most 253 characters)");
        }

        if (metadata.NamespaceProperty is { } ns && (ns.Length > 63 || !Label().IsMatch(ns)))
        {
            return ("metadata.namespace", $"'{Shorten(ns)}' is not a Kubernetes namespace (lower-case DNS label, at most 63 characters)");
        }

        var annotationBytes = (metadata.Annotations ?? new Dictionary<string, string>()).Sum(a => Encoding.UTF8.GetByteCount(a.Key) + Encoding.UTF8.GetByteCount(a.Value ?? string.Empty));
        if (annotationBytes > MaxAnnotationBytes)
        {
            return ("metadata.annotations", $"the annotations take {annotationBytes} bytes; Kubernetes allows at most {MaxAnnotationBytes}");
        }

        return null;
    }

    /// <summary>Long hostile values are cut in rejections: they are read by people and sent as Events.</summary>
    public static string Shorten(string value) => value.Length <= 80 ? value : value[..80] + "...";

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Subdomain();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Label();
}
