using System.ComponentModel.DataAnnotations;

namespace Orleans.Proxy.Hosting;

/// <summary>How silos find each other: section "Cluster".</summary>
public sealed class ProxyClusterOptions
{
    public const string Section = "Cluster";

    /// <summary>Localhost: one machine, development clustering. Kubernetes: membership over the Kubernetes API.</summary>
    public ClusteringMode Clustering { get; set; } = ClusteringMode.Localhost;

    [Required]
    public string ClusterId { get; set; } = "orleans-proxy";

    [Required]
    public string ServiceId { get; set; } = "orleans-proxy";

    [Range(1, 65535)]
    public int SiloPort { get; set; } = 11111;

    [Range(1, 65535)]
    public int GatewayPort { get; set; } = 30000;

    /// <summary>Localhost clustering: the silo port of the first silo, which keeps the membership.</summary>
    [Range(1, 65535)]
    public int PrimarySiloPort { get; set; } = 11111;
}

public enum ClusteringMode
{
    Localhost,

    /// <summary>Membership in a ConfigMap and heartbeat Leases (section Cluster:Kubernetes); silos use Orleans' Kubernetes hosting.</summary>
    Kubernetes,
}
