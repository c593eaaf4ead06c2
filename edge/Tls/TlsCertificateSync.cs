using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Proxy.Edge.Hosting;
using Orleans.Proxy.Edge.Routing;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.Edge.Tls;

/// <summary>
/// Follows the served routing table: each host's route names a certificate by Secret and content
/// hash; a certificate not held yet is fetched from its grain and accepted only with that hash.
/// Until then (or while the cluster is unreachable) the host keeps the certificate it had.
/// The cluster's default certificate (grain <see cref="ITlsCertificateGrain.DefaultKey"/>) is read
/// on every new table and on <see cref="EdgeOptions.PollInterval"/> besides, like the other polls.
/// </summary>
internal sealed partial class TlsCertificateSync(
    IGrainFactory grains,
    RouteTableCache routes,
    TlsCertificateStore store,
    IOptions<EdgeOptions> options,
    ILogger<TlsCertificateSync> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);
    private readonly Dictionary<string, X509Certificate2> _loaded = new(StringComparer.Ordinal);
    private string _defaultFingerprint = string.Empty;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        RouteTable? synced = null;
        RouteTable? defaultCheckedFor = null;
        var ticks = 0;
        var defaultCheckTicks = Math.Max(1, (int)(options.Value.PollInterval / Interval));
        using var timer = new PeriodicTimer(Interval);
        do
        {
            var table = routes.Current;
            if (table.Catalog.Generation > 0 && (!ReferenceEquals(table, defaultCheckedFor) || ++ticks >= defaultCheckTicks))
            {
                ticks = 0;
                try
                {
                    await SyncDefaultAsync();
                    defaultCheckedFor = table;
                }
                catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    LogFetchFailed(e);
                }
            }

            if (ReferenceEquals(table, synced))
            {
                continue;
            }

            try
            {
                if (await SyncAsync(table))
                {
                    synced = table;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogFetchFailed(e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>The cluster's default certificate, when its content changed; an empty one means: the self-signed certificate.</summary>
    private async Task SyncDefaultAsync()
    {
        var spec = await grains.GetGrain<ITlsCertificateGrain>(ITlsCertificateGrain.DefaultKey).GetCertificate();
        if (spec.Fingerprint == _defaultFingerprint)
        {
            return;
        }

        if (spec.Fingerprint.Length == 0)
        {
            store.SetDefault(null);
        }
        else
        {
            try
            {
                using var pem = X509Certificate2.CreateFromPem(spec.CertificatePem, spec.KeyPem);
                store.SetDefault(X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null));
            }
            catch (CryptographicException e)
            {
                LogInvalid(e, ITlsCertificateGrain.DefaultKey);
                return;
            }
        }

        _defaultFingerprint = spec.Fingerprint;
        LogDefault(store.Default.Subject, store.DefaultFromCluster ? "the cluster's default-ssl-certificate" : "generated at start");
    }

    /// <summary>Returns false while some certificate could not be had at its wanted content.</summary>
    private async Task<bool> SyncAsync(RouteTable table)
    {
        var wanted = table.Hosts.Values
            .SelectMany(h => h.Routes)
            .Where(r => r.TlsCertificate is not null)
            .GroupBy(r => r.Host, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(r => r.TlsCertificate!).Order(StringComparer.Ordinal).First(), StringComparer.Ordinal);

        var complete = true;
        foreach (var reference in wanted.Values.Distinct().Where(r => !_loaded.ContainsKey(r)))
        {
            var secretKey = reference[..reference.LastIndexOf('#')];
            var fingerprint = reference[(secretKey.Length + 1)..];
            var spec = await grains.GetGrain<ITlsCertificateGrain>(secretKey).GetCertificate();
            if (spec.Fingerprint != fingerprint)
            {
                complete = false;
                continue;
            }

            try
            {
                using var pem = X509Certificate2.CreateFromPem(spec.CertificatePem, spec.KeyPem);
                // Re-imported so the private key is usable by the TLS stack on every platform.
                _loaded[reference] = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            }
            catch (CryptographicException e)
            {
                LogInvalid(e, secretKey);
            }
        }

        var previous = store.Current;
        var byHost = ImmutableDictionary.CreateBuilder<string, X509Certificate2>(StringComparer.Ordinal);
        foreach (var (host, reference) in wanted)
        {
            if (_loaded.TryGetValue(reference, out var certificate) || previous.TryGetValue(host, out certificate))
            {
                byHost[host] = certificate;
            }
        }

        store.Set(byHost.ToImmutable());
        foreach (var unused in _loaded.Keys.Except(wanted.Values).ToList())
        {
            // Not disposed: a handshake in progress may still hold it.
            _loaded.Remove(unused);
        }

        LogSynced(byHost.Count);
        return complete;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Default TLS certificate (for names without one): {Subject}, {Source}")]
    private partial void LogDefault(string subject, string source);

    [LoggerMessage(Level = LogLevel.Information, Message = "Serving TLS certificates for {Hosts} hosts")]
    private partial void LogSynced(int hosts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fetching TLS certificates failed; keeping the current ones and retrying")]
    private partial void LogFetchFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "The certificate of Secret {Secret} does not load; its hosts keep their previous certificate")]
    private partial void LogInvalid(Exception exception, string secret);
}
