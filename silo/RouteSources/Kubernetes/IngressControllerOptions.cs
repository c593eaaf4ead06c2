using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;

namespace Orleans.Proxy.Silo.RouteSources.Kubernetes;

/// <summary>Section "IngressController": the Kubernetes route source (Routes:Source = Kubernetes).</summary>
public sealed partial class IngressControllerOptions : IValidatableObject
{
    public const string Section = "IngressController";

    /// <summary>spec.controller of the IngressClasses this controller serves.</summary>
    [Required]
    public string ControllerName { get; set; } = "orleans-proxy.io/ingress-controller";

    /// <summary>API server URL (e.g. http://127.0.0.1:8001 from kubectl proxy); empty: the in-cluster service account.</summary>
    public string? ApiServerUrl { get; set; }

    /// <summary>Namespace of the leader election Lease; defaults to this pod's (POD_NAMESPACE).</summary>
    public string? LeaseNamespace { get; set; }

    [Required]
    public string LeaseName { get; set; } = "orleans-proxy-ingress-controller";

    /// <summary>This replica's name in the Lease; defaults to POD_NAME, else host name and process id.</summary>
    public string? Identity { get; set; }

    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(15);

    [Range(typeof(TimeSpan), "00:00:00.500", "00:10:00")]
    public TimeSpan RenewDeadline { get; set; } = TimeSpan.FromSeconds(10);

    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan RetryPeriod { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The namespaces whose Ingresses, Services, EndpointSlices and Secrets the controller reads (one
    /// informer each per namespace), as ingress-nginx's --watch-namespace; empty: every namespace.
    /// With a list, RBAC can be a RoleBinding per namespace instead of a ClusterRoleBinding (k8s/components/namespaced).
    /// </summary>
    public List<string> Namespaces { get; set; } = [];

    /// <summary>
    /// "namespace/name" of a kubernetes.io/tls Secret presented for HTTPS requests whose host has no
    /// certificate (ingress-nginx's --default-ssl-certificate); unset: each edge generates a self-signed one.
    /// </summary>
    public string? DefaultSslCertificate { get; set; }

    /// <summary>"namespace/name" of the LoadBalancer Service whose status addresses go to the Ingresses' status.</summary>
    public string? PublishService { get; set; }

    /// <summary>IPs or host names for the Ingresses' status when there is no PublishService (comma-separated).</summary>
    public string? StatusAddresses { get; set; }

    /// <summary>
    /// Read the Gateway API (GatewayClasses whose controllerName is Routes:GatewayControllerName, their
    /// Gateways, HTTPRoutes and ReferenceGrants) and write their status. Without the CRDs in the cluster
    /// nothing is read; installing them later is picked up within a minute.
    /// </summary>
    public bool GatewayApi { get; set; } = true;

    /// <summary>Quiet time after a change before reconciling, so a burst of events makes one rebuild.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10")]
    public TimeSpan Debounce { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Server-side timeout of one watch request; the informer then watches again from where it was.</summary>
    [Range(60, 3600)]
    public int WatchTimeoutSeconds { get; set; } = 300;

    /// <summary>The watched namespaces, distinct and in order; null: every namespace.</summary>
    internal IReadOnlyList<string>? WatchedNamespaces =>
        Namespaces.Where(n => !string.IsNullOrWhiteSpace(n)).Select(n => n.Trim()).Distinct(StringComparer.Ordinal).ToList() is { Count: > 0 } list ? list : null;

    private readonly string _defaultIdentity = Environment.GetEnvironmentVariable("POD_NAME") is { Length: > 0 } pod ? pod
        : $"{Environment.MachineName}-{Environment.ProcessId}-{Random.Shared.Next(0x1000, 0xFFFF):x4}";

    internal string EffectiveIdentity => Identity is { Length: > 0 } identity ? identity : _defaultIdentity;

    internal string EffectiveLeaseNamespace =>
        LeaseNamespace is { Length: > 0 } ns ? ns : Environment.GetEnvironmentVariable("POD_NAMESPACE") is { Length: > 0 } pod ? pod : "default";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var ns in Namespaces.Where(n => !string.IsNullOrWhiteSpace(n) && !Dns1123Label().IsMatch(n.Trim())))
        {
            yield return new ValidationResult($"IngressController:Namespaces: '{ns}' is not a namespace name (lower-case letters, digits and '-')", [nameof(Namespaces)]);
        }

        foreach (var (name, value) in new[] { (nameof(DefaultSslCertificate), DefaultSslCertificate), (nameof(PublishService), PublishService) })
        {
            if (!string.IsNullOrEmpty(value) && SplitKey(value) is null)
            {
                yield return new ValidationResult($"IngressController:{name}: '{value}' is not of the form namespace/name", [name]);
            }
        }
    }

    /// <summary>"namespace/name" split in two; null when it is not of that form.</summary>
    internal static (string Namespace, string Name)? SplitKey(string? key) =>
        key?.Split('/') is [{ Length: > 0 } ns, { Length: > 0 } name] ? (ns, name) : null;

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
    private static partial Regex Dns1123Label();
}
