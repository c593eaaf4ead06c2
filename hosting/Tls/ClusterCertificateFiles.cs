using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Orleans.Proxy.Hosting.Tls;

/// <summary>
/// This process's cluster certificate and the cluster's CA, read from PEM files. Every handshake
/// asks for <see cref="Current"/>, which reads the files again only when one of them changed
/// (another target, write time or length: the kubelet swaps a Secret's files by moving a symlink),
/// so a rotated certificate is used for new connections without a restart. A rotation caught
/// half-written (a key that does not match its certificate) keeps the previous material until the
/// files agree again.
/// </summary>
public sealed partial class ClusterCertificateFiles
{
    private const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";
    private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";

    private readonly string _certificatePath;
    private readonly string _keyPath;
    private readonly string _caPath;
    private readonly Lock _lock = new();
    private readonly bool _server;
    private Material _current;

    private ClusterCertificateFiles(string certificatePath, string keyPath, string caPath, bool server, Material material)
    {
        _certificatePath = certificatePath;
        _keyPath = keyPath;
        _caPath = caPath;
        _server = server;
        _current = material;
    }

    /// <summary>Where reloads and refused peers are logged; set once the host's logging is up.</summary>
    public ILogger Logger { get; set; } = NullLogger.Instance;

    /// <summary>The certificate this process presents, as of the files now on disk.</summary>
    public X509Certificate2 Certificate => Current.Certificate;

    /// <summary>The CA certificates peers must chain to, as of the files now on disk.</summary>
    public X509Certificate2Collection Authorities => Current.Authorities;

    private Material Current
    {
        get
        {
            var stamp = Stamp();
            var current = Volatile.Read(ref _current);
            if (stamp == current.Stamp)
            {
                return current;
            }

            lock (_lock)
            {
                if (stamp == _current.Stamp)
                {
                    return _current;
                }

                var (loaded, errors) = TryLoad(_certificatePath, _keyPath, _caPath, _server, stamp);
                if (loaded is null)
                {
                    // Try again on the next handshake; the files may be between two writes.
                    LogReloadFailed(Logger, string.Join("; ", errors));
                    return _current;
                }

                Volatile.Write(ref _current, loaded);
                LogReloaded(Logger, loaded.Certificate.Subject, loaded.Certificate.Thumbprint, loaded.Certificate.NotAfter);
                return loaded;
            }
        }
    }

    /// <summary>
    /// Reads and checks the files named by <paramref name="options"/>, or throws naming every key to fix.
    /// <paramref name="server"/>: a silo's certificate, which also serves (silo and gateway listeners).
    /// </summary>
    public static ClusterCertificateFiles Load(ClusterTlsOptions options, bool server)
    {
        var errors = new List<string>();
        var certificatePath = Required(options.ResolvedCertificatePath, nameof(ClusterTlsOptions.CertificatePath), "tls.crt", errors);
        var keyPath = Required(options.ResolvedKeyPath, nameof(ClusterTlsOptions.KeyPath), "tls.key", errors);
        var caPath = Required(options.ResolvedCaPath, nameof(ClusterTlsOptions.CaPath), "ca.crt", errors);
        if (options.HandshakeTimeout <= TimeSpan.Zero)
        {
            errors.Add($"{ClusterTlsOptions.Section}:{nameof(ClusterTlsOptions.HandshakeTimeout)}: must be positive, not {options.HandshakeTimeout}");
        }

        if (errors.Count == 0)
        {
            var stamp = Stamp(certificatePath!, keyPath!, caPath!);
            var (material, loadErrors) = TryLoad(certificatePath!, keyPath!, caPath!, server, stamp);
            if (material is not null)
            {
                return new ClusterCertificateFiles(certificatePath!, keyPath!, caPath!, server, material);
            }

            errors.AddRange(loadErrors);
        }

        throw new OptionsValidationException(ClusterTlsOptions.Section, typeof(ClusterTlsOptions), errors);
    }

    /// <summary>
    /// Whether a peer's certificate chains to the cluster's CA (and is within its validity period).
    /// Names are not compared: pods have no stable addresses, and membership is the CA's signature.
    /// </summary>
    public bool IsTrustedPeer(X509Certificate2? certificate, X509Chain? presented)
    {
        if (certificate is null)
        {
            LogPeerRefused(Logger, "(none)", "no certificate");
            return false;
        }

        using var chain = Chain(Authorities, presented);
        if (chain.Build(certificate))
        {
            return true;
        }

        LogPeerRefused(Logger, certificate.Subject, string.Join(", ", chain.ChainStatus.Select(s => s.Status)));
        return false;
    }

    /// <summary>
    /// A peer on the silo-to-silo connections: a cluster certificate that also allows server
    /// authentication, as only silos' do. An edge's certificate (client authentication only) reaches
    /// the gateway and nothing else: a silo trusts every message another silo sends, so a peer that
    /// joined as one could write any grain.
    /// </summary>
    public bool IsTrustedSilo(X509Certificate2? certificate, X509Chain? presented)
    {
        if (!IsTrustedPeer(certificate, presented))
        {
            return false;
        }

        if (Usages(certificate!).Contains(ServerAuthentication))
        {
            return true;
        }

        LogSiloRefused(Logger, certificate!.Subject);
        return false;
    }

    private static List<string?> Usages(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().SelectMany(e => e.EnhancedKeyUsages.Cast<Oid>()).Select(o => o.Value).ToList();

    private static X509Chain Chain(X509Certificate2Collection authorities, X509Chain? presented)
    {
        var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
        {
            // Intermediates the peer sent; only the CA file's certificates are trusted as roots.
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        return chain;
    }

    private static string? Required(string? path, string key, string fileInDirectory, List<string> errors)
    {
        if (string.IsNullOrEmpty(path))
        {
            errors.Add($"{ClusterTlsOptions.Section}:{key}: not set; set it, or {ClusterTlsOptions.Section}:{nameof(ClusterTlsOptions.Directory)} to a folder holding {fileInDirectory}");
            return null;
        }

        if (!File.Exists(path))
        {
            errors.Add($"{ClusterTlsOptions.Section}:{key}: '{Path.GetFullPath(path)}' does not exist (mount the cluster TLS Secret there, with tls.crt, tls.key and ca.crt)");
            return null;
        }

        return path;
    }

    private static (Material? Material, List<string> Errors) TryLoad(string certificatePath, string keyPath, string caPath, bool server, FileStamp stamp)
    {
        var errors = new List<string>();
        X509Certificate2? certificate = null;
        var authorities = new X509Certificate2Collection();
        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
            // Through PKCS#12, so the key is usable by SslStream on every platform (not an ephemeral key).
            certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            errors.Add($"{ClusterTlsOptions.Section}:{nameof(ClusterTlsOptions.CertificatePath)}/{nameof(ClusterTlsOptions.KeyPath)}: " +
                $"'{certificatePath}' and '{keyPath}' are not a PEM certificate and its private key: {e.Message}");
        }

        try
        {
            authorities.ImportFromPemFile(caPath);
            if (authorities.Count == 0)
            {
                errors.Add($"{ClusterTlsOptions.Section}:{nameof(ClusterTlsOptions.CaPath)}: '{caPath}' holds no PEM certificate");
            }
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            errors.Add($"{ClusterTlsOptions.Section}:{nameof(ClusterTlsOptions.CaPath)}: '{caPath}' is not a PEM certificate bundle: {e.Message}");
        }

        if (certificate is not null && authorities.Count > 0)
        {
            using var chain = Chain(authorities, null);
            if (!chain.Build(certificate))
            {
                errors.Add($"{ClusterTlsOptions.Section}:{nameof(ClusterTlsOptions.CertificatePath)}: '{certificatePath}' ({certificate.Subject}) does not chain to the CA in '{caPath}': " +
                    string.Join(", ", chain.ChainStatus.Select(s => s.Status)));
            }

            var usages = Usages(certificate);
            if (server ? !(usages.Contains(ClientAuthentication) && usages.Contains(ServerAuthentication)) : usages.Count > 0 && !usages.Contains(ClientAuthentication))
            {
                errors.Add($"{ClusterTlsOptions.Section}:{nameof(ClusterTlsOptions.CertificatePath)}: '{certificatePath}' must allow client authentication" +
                    (server ? " and server authentication, in its extended key usage (a silo both accepts and opens cluster connections, and other silos accept only such a certificate as a silo's)" : " (an edge opens cluster connections)"));
            }
        }

        if (errors.Count > 0)
        {
            certificate?.Dispose();
            return (null, errors);
        }

        return (new Material(certificate!, authorities, stamp), errors);
    }

    private FileStamp Stamp() => Stamp(_certificatePath, _keyPath, _caPath);

    private static FileStamp Stamp(string certificatePath, string keyPath, string caPath) =>
        new(FileState.Of(certificatePath), FileState.Of(keyPath), FileState.Of(caPath));

    private sealed record Material(X509Certificate2 Certificate, X509Certificate2Collection Authorities, FileStamp Stamp);

    private readonly record struct FileStamp(FileState Certificate, FileState Key, FileState Ca);

    private readonly record struct FileState(string Target, long WriteTicks, long Length)
    {
        public static FileState Of(string path)
        {
            try
            {
                var target = File.ResolveLinkTarget(path, returnFinalTarget: true)?.FullName ?? Path.GetFullPath(path);
                var info = new FileInfo(target);
                return info.Exists ? new FileState(target, info.LastWriteTimeUtc.Ticks, info.Length) : new FileState(target, -1, -1);
            }
            catch (IOException)
            {
                return new FileState(path, -1, -1);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster TLS certificate loaded from disk: {Subject} ({Thumbprint}), valid until {NotAfter:u}")]
    private static partial void LogReloaded(ILogger logger, string subject, string thumbprint, DateTime notAfter);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster TLS files changed but cannot be used yet, keeping the previous certificate: {Errors}")]
    private static partial void LogReloadFailed(ILogger logger, string errors);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster TLS peer refused on the silo port: certificate {Subject} does not allow server authentication, so it is an edge's, not a silo's")]
    private static partial void LogSiloRefused(ILogger logger, string subject);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster TLS peer refused: certificate {Subject} does not chain to the cluster CA ({Status})")]
    private static partial void LogPeerRefused(ILogger logger, string subject, string status);
}
