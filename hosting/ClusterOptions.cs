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

    /// <summary>
    /// Kubernetes clustering: the address the silo and gateway ports listen on when it is not the one
    /// advertised (POD_IP), e.g. behind a relay or NAT that forwards the advertised address to it. Unset:
    /// every interface (a loopback POD_IP: loopback only).
    /// </summary>
    [RegularExpression(@"^[0-9a-fA-F:.]+$", ErrorMessage = "must be an IP address")]
    public string? ListenAddress { get; set; }
}

public enum ClusteringMode
{
    Localhost,

    /// <summary>Membership in a ConfigMap and heartbeat Leases (section Cluster:Kubernetes); silos use Orleans' Kubernetes hosting.</summary>
    Kubernetes,
}
