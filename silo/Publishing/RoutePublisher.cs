using System.Collections.Immutable;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Orleans.Proxy.Routing;

using Orleans.Proxy.Translation.Ingress;
namespace Orleans.Proxy.Silo.Publishing;

/// <summary>
/// Writes a desired state into the grains: changed backends, then changed hosts, then the catalog,
/// so an edge that sees a catalog finds everything it names. Every write carries a version the
/// grains compare, so an older writer never overwrites a newer one, and a full resync rewrites
/// the same versions: a grain that was lost takes them, a grain that kept them ignores them.
/// </summary>
internal sealed partial class RoutePublisher(IGrainFactory grains, TimeProvider time, ILogger<RoutePublisher> logger)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, (HostRoutes Routes, string Fingerprint)> _hosts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (BackendSpec Backend, string Fingerprint)> _backends = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (TlsCertificateSpec Certificate, string Fingerprint)> _certificates = new(StringComparer.Ordinal);
    private CatalogSnapshot _catalog = CatalogSnapshot.Empty;
    private string _rejectionsFingerprint = Fingerprint(ImmutableArray<Rejection>.Empty);

    /// <summary>The catalog last written (or about to be written).</summary>
    public CatalogSnapshot Catalog => _catalog;

    /// <summary>Publishes what changed; with <paramref name="rewriteAll"/>, rewrites every grain to repair any lost one.</summary>
    public async Task PublishAsync(DesiredState desired, bool rewriteAll, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var generation = NextGeneration();
            var changedBackends = Diff(_backends, desired.Backends, generation, (id, version, b) => (b ?? BackendSpec.Empty(id)) with { Version = version });
            // Routes name certificates by content hash, so a changed certificate also changes its hosts.
            var changedCertificates = Diff(_certificates, desired.Certificates, generation,
                (key, version, c) => (c ?? TlsCertificateSpec.Empty(key)) with { Version = version });
            var changedHosts = Diff(_hosts, desired.Hosts, generation, (host, version, r) => new HostRoutes(host, version, r.IsDefault ? [] : r));
            var rejectionsFingerprint = Fingerprint(desired.Rejections);
            // A certificate alone changes too (the default certificate has no route naming it): a new generation tells edges to look.
            var changed = _catalog.Generation == 0 || changedBackends.Count > 0 || changedCertificates.Count > 0 || changedHosts.Count > 0 || rejectionsFingerprint != _rejectionsFingerprint;
            if (changed)
            {
                LogRejections(desired.Rejections);
                _rejectionsFingerprint = rejectionsFingerprint;
                _catalog = new CatalogSnapshot(
                    generation,
                    _hosts.ToImmutableDictionary(h => h.Key, h => h.Value.Routes.Version, StringComparer.Ordinal),
                    _backends.ToImmutableDictionary(b => b.Key, b => b.Value.Backend.Version, StringComparer.Ordinal),
                    desired.Rejections);
            }
            else if (!rewriteAll)
            {
                return;
            }

            var backendsToWrite = rewriteAll ? _backends.Values.Select(b => b.Backend).Union(changedBackends).ToList() : changedBackends;
            var certificatesToWrite = rewriteAll ? _certificates.Values.Select(c => c.Certificate).Union(changedCertificates).ToList() : changedCertificates;
            var hostsToWrite = rewriteAll ? _hosts.Values.Select(h => h.Routes).Union(changedHosts).ToList() : changedHosts;
            await Task.WhenAll(backendsToWrite.Select(b => grains.GetGrain<IBackendGrain>(b.ClusterId).SetBackend(b)));
            await Task.WhenAll(certificatesToWrite.Select(c => grains.GetGrain<ITlsCertificateGrain>(c.SecretKey).SetCertificate(c)));
            await Task.WhenAll(hostsToWrite.Select(h => grains.GetGrain<IHostRouteGrain>(h.Host).SetRoutes(h)));
            var stored = await grains.GetGrain<IRouteCatalogGrain>(IRouteCatalogGrain.DefaultKey).Publish(_catalog);
            if (changed || stored)
            {
                LogPublished(_catalog.Generation, hostsToWrite.Count, backendsToWrite.Count, rewriteAll);
            }

        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Records new content with a fresh version; a key that disappeared gets an empty value (content
    /// null) with a fresh version, so its grain is cleared. Returns what must be written.
    /// </summary>
    private static List<TValue> Diff<TValue, TContent>(
        Dictionary<string, (TValue Value, string Fingerprint)> current,
        IReadOnlyDictionary<string, TContent> desired,
        long generation,
        Func<string, long, TContent?, TValue> create)
    {
        var changed = new List<TValue>();
        foreach (var (key, content) in desired)
        {
            // The whole value at version 0, so settings beside the content (e.g. health checks) count as changes too.
            var fingerprint = Fingerprint(create(key, 0, content));
            if (current.TryGetValue(key, out var existing) && existing.Fingerprint == fingerprint)
            {
                continue;
            }

            var value = create(key, generation, content);
            current[key] = (value, fingerprint);
            changed.Add(value);
        }

        foreach (var key in current.Keys.Where(k => !desired.ContainsKey(k)).ToList())
        {
            // Cleared once and forgotten: the catalog no longer names it, so no edge reads it again.
            current.Remove(key);
            changed.Add(create(key, generation, default));
        }

        return changed;
    }

    /// <summary>Microseconds since the epoch, and always above the last one: a restarted or new writer starts above the old.</summary>
    private long NextGeneration() =>
        Math.Max(_catalog.Generation + 1, time.GetUtcNow().ToUnixTimeMilliseconds() * 1000);

    private static string Fingerprint<T>(T content) => JsonSerializer.Serialize(content);

    private void LogRejections(ImmutableArray<Rejection> rejections)
    {
        foreach (var rejection in rejections)
        {
            LogRejected(rejection.Object, rejection.Field, rejection.Reason);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected {Object} {Field}: {Reason}")]
    private partial void LogRejected(string @object, string field, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Published routing generation {Generation}: wrote {Hosts} hosts and {Backends} backends (full resync: {Full})")]
    private partial void LogPublished(long generation, int hosts, int backends, bool full);
}
