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
/// Until then (or while the cluster is unreachable) the host keeps the certificate it had. Only the
/// hosts whose routes changed are looked at (<see cref="RouteTableCache.TakeHostsChanged"/>), so a
/// route change costs what it changed, not a walk of every route.
/// The cluster's default certificate (grain <see cref="ITlsCertificateGrain.DefaultKey"/>) is read
/// after a new table, at most once a second while tables keep coming, and on
/// <see cref="EdgeOptions.PollInterval"/> besides, like the other polls.
/// </summary>
internal sealed partial class TlsCertificateSync(
    IGrainFactory grains,
    RouteTableCache routes,
    TlsCertificateStore store,
    IOptions<EdgeOptions> options,
    ILogger<TlsCertificateSync> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    // A new default certificate is published as a new generation: reading it once per generation cost every
    // edge a grain call per route change.
    private const int TicksBetweenDefaultReads = 4;

    // Certificates by reference ("namespace/name#fingerprint"), and how many hosts want each.
    private readonly Dictionary<string, X509Certificate2> _loaded = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _users = new(StringComparer.Ordinal);

    // The certificate reference each host's routes name.
    private readonly Dictionary<string, string> _wanted = new(StringComparer.Ordinal);

    // Hosts to look at again: their certificate was not to be had at its wanted content, or the sync failed.
    private readonly HashSet<string> _retry = new(StringComparer.Ordinal);
    private string _defaultFingerprint = string.Empty;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        RouteTable? defaultCheckedFor = null;
        // The first published table reads the default at once.
        var ticks = TicksBetweenDefaultReads;
        var defaultCheckTicks = Math.Max(TicksBetweenDefaultReads, (int)(options.Value.PollInterval / Interval));
        using var timer = new PeriodicTimer(Interval);
        do
        {
            var (table, changed) = routes.TakeHostsChanged();
            ticks++;
            if (table.Catalog.Generation > 0
                && ((!ReferenceEquals(table, defaultCheckedFor) && ticks >= TicksBetweenDefaultReads) || ticks >= defaultCheckTicks))
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

            changed.UnionWith(_retry);
            _retry.Clear();
            if (changed.Count == 0)
            {
                continue;
            }

            try
            {
                await SyncAsync(table, changed);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                _retry.UnionWith(changed);
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

    /// <summary>Brings the certificates of <paramref name="hosts"/> to what <paramref name="table"/> names; hosts it could not serve so go to the retry set.</summary>
    private async Task SyncAsync(RouteTable table, HashSet<string> hosts)
    {
        foreach (var host in hosts)
        {
            Want(host, table.Hosts.TryGetValue(host, out var hostRoutes) ? Reference(hostRoutes) : null);
        }

        foreach (var reference in hosts.Select(h => _wanted.GetValueOrDefault(h)).OfType<string>().Distinct().Where(r => !_loaded.ContainsKey(r)).ToList())
        {
            var secretKey = reference[..reference.LastIndexOf('#')];
            var fingerprint = reference[(secretKey.Length + 1)..];
            var spec = await grains.GetGrain<ITlsCertificateGrain>(secretKey).GetCertificate();
            if (spec.Fingerprint != fingerprint)
            {
                // Not yet at the content the route names: look again at the next tick.
                _retry.UnionWith(hosts.Where(h => _wanted.GetValueOrDefault(h) == reference));
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
        var byHost = previous.ToBuilder();
        foreach (var host in hosts)
        {
            if (!_wanted.TryGetValue(host, out var reference))
            {
                byHost.Remove(host);
            }
            else if (_loaded.TryGetValue(reference, out var certificate))
            {
                byHost[host] = certificate;
            }
        }

        var served = byHost.ToImmutable();
        if (!ReferenceEquals(served, previous))
        {
            store.Set(served);
            LogSynced(served.Count);
        }
    }

    /// <summary>The certificate a host's routes name (the first in ordinal order when they name several).</summary>
    private static string? Reference(HostRoutes hostRoutes)
    {
        string? reference = null;
        foreach (var route in hostRoutes.Routes)
        {
            if (route.TlsCertificate is { } named && (reference is null || string.CompareOrdinal(named, reference) < 0))
            {
                reference = named;
            }
        }

        return reference;
    }

    private void Want(string host, string? reference)
    {
        var had = _wanted.GetValueOrDefault(host);
        if (had == reference)
        {
            return;
        }

        if (had is not null && --_users[had] == 0)
        {
            // Not disposed: a handshake in progress may still hold it.
            _users.Remove(had);
            _loaded.Remove(had);
        }

        if (reference is null)
        {
            _wanted.Remove(host);
            return;
        }

        _wanted[host] = reference;
        _users[reference] = _users.GetValueOrDefault(reference) + 1;
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
