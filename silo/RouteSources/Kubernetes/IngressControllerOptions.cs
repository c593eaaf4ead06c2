using System.ComponentModel.DataAnnotations;

namespace Orleans.Proxy.Silo.RouteSources.Kubernetes;

/// <summary>Section "IngressController": the Kubernetes route source (Routes:Source = Kubernetes).</summary>
public sealed class IngressControllerOptions
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

    /// <summary>"namespace/name" of the LoadBalancer Service whose status addresses go to the Ingresses' status.</summary>
    public string? PublishService { get; set; }

    /// <summary>IPs or host names for the Ingresses' status when there is no PublishService (comma-separated).</summary>
    public string? StatusAddresses { get; set; }

    /// <summary>Quiet time after a change before reconciling, so a burst of events makes one rebuild.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10")]
    public TimeSpan Debounce { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Server-side timeout of one watch request; the informer then watches again from where it was.</summary>
    [Range(60, 3600)]
    public int WatchTimeoutSeconds { get; set; } = 300;

    private readonly string _defaultIdentity = Environment.GetEnvironmentVariable("POD_NAME") is { Length: > 0 } pod ? pod
        : $"{Environment.MachineName}-{Environment.ProcessId}-{Random.Shared.Next(0x1000, 0xFFFF):x4}";

    internal string EffectiveIdentity => Identity is { Length: > 0 } identity ? identity : _defaultIdentity;

    internal string EffectiveLeaseNamespace =>
        LeaseNamespace is { Length: > 0 } ns ? ns : Environment.GetEnvironmentVariable("POD_NAMESPACE") is { Length: > 0 } pod ? pod : "default";
}
