namespace Orleans.Proxy.Hosting.Tls;

/// <summary>
/// Mutual TLS between silos and from edges to the gateways: section "Cluster:Tls". Point
/// <see cref="Directory"/> at a mounted kubernetes.io/tls Secret (tls.crt, tls.key, ca.crt), or set
/// each path. Every peer must present a certificate that chains to the CA in ca.crt. The files are
/// read again whenever they change on disk, so a rotated Secret is used for new connections
/// without a restart.
/// </summary>
public sealed class ClusterTlsOptions
{
    public const string Section = "Cluster:Tls";

    /// <summary>A folder holding tls.crt, tls.key and ca.crt, as a mounted kubernetes.io/tls Secret (with ca.crt) writes them.</summary>
    public string? Directory { get; set; }

    /// <summary>PEM certificate of this process (first certificate of the file); default: Directory/tls.crt.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>PEM private key of <see cref="CertificatePath"/>; default: Directory/tls.key.</summary>
    public string? KeyPath { get; set; }

    /// <summary>PEM certificate(s) of the cluster's CA: peers must chain to one of them; default: Directory/ca.crt.</summary>
    public string? CaPath { get; set; }

    /// <summary>
    /// Runs the cluster connections without TLS. Needed to run Kubernetes clustering without TLS
    /// (refused otherwise); any process that reaches the silo or gateway ports can then call every grain.
    /// </summary>
    public bool Disabled { get; set; }

    /// <summary>Longest TLS handshake before the connection is dropped.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>True when some file or folder is set (and TLS is not disabled).</summary>
    public bool IsConfigured =>
        !Disabled && !(string.IsNullOrEmpty(Directory) && string.IsNullOrEmpty(CertificatePath) && string.IsNullOrEmpty(KeyPath) && string.IsNullOrEmpty(CaPath));

    internal string? ResolvedCertificatePath => Resolve(CertificatePath, "tls.crt");

    internal string? ResolvedKeyPath => Resolve(KeyPath, "tls.key");

    internal string? ResolvedCaPath => Resolve(CaPath, "ca.crt");

    private string? Resolve(string? path, string fileInDirectory) =>
        !string.IsNullOrEmpty(path) ? path : string.IsNullOrEmpty(Directory) ? null : Path.Combine(Directory, fileInDirectory);
}
