using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Orleans.Proxy.Hosting;

/// <summary>How silos find each other: section "Cluster".</summary>
public sealed class ProxyClusterOptions
{
    public const string Section = "Cluster";

    /// <summary>
    /// The section, checked before anything starts (Orleans is configured from it before options
    /// validation runs): every error at once, each naming its key.
    /// </summary>
    public static ProxyClusterOptions Read(IConfiguration configuration)
    {
        var options = configuration.GetSection(Section).Get<ProxyClusterOptions>() ?? new ProxyClusterOptions();
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new(options), results, validateAllProperties: true))
        {
            throw new OptionsValidationException(Section, typeof(ProxyClusterOptions),
                results.Select(r => $"{Section}:{string.Join(',', r.MemberNames)}: {r.ErrorMessage}"));
        }

        return options;
    }

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

    /// <summary>
    /// Silos: how long a gateway keeps an edge whose connection dropped (Orleans' ClientDropTimeout, a
    /// minute by default). Meanwhile every silo may route that edge's responses and pushes through this
    /// gateway, where they wait for a reconnection: with the default, an edge that lost one of several
    /// gateways saw a third of its grain calls time out for one to two minutes.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ClientDropTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Silos: how long a grain's location stays in a silo's directory cache after its last use (Orleans'
    /// GrainDirectoryOptions.MaximumCacheTTL, four minutes by default). Orleans caches the location of every
    /// activation registered on a silo and does not drop it when the activation goes: with one rate-limit
    /// bucket per client key, a flood of 100,000 keys left 100,000 entries (about 25 MB) for four to eight
    /// minutes after their buckets were gone. An entry in use is kept; one that expired costs one lookup.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan DirectoryCacheTtl { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Silos: the most grain locations a silo's directory cache holds (Orleans' GrainDirectoryOptions.CacheSize,
    /// a million by default, about 250 MB): the bound on that cache under a flood of keys faster than
    /// <see cref="DirectoryCacheTtl"/> drops them. Beyond it the least recently used go.
    /// </summary>
    [Range(1, 10_000_000)]
    public int DirectoryCacheSize { get; set; } = 100_000;

    /// <summary>
    /// Edges: how often the list of gateways is read again, and how long a gateway that failed is left
    /// out (Orleans' GatewayListRefreshPeriod, a minute by default): a gateway back from a partition is
    /// used again after at most twice this.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan GatewayRefreshPeriod { get; set; } = TimeSpan.FromSeconds(10);
}

public enum ClusteringMode
{
    Localhost,

    /// <summary>Membership in a ConfigMap and heartbeat Leases (section Cluster:Kubernetes); silos use Orleans' Kubernetes hosting.</summary>
    Kubernetes,
}
