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
    private readonly Dictionary<string, Written<HostRoutes, ImmutableArray<RouteSpec>>> _hosts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Written<BackendSpec, BackendSpec>> _backends = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Written<TlsCertificateSpec, TlsCertificateSpec>> _certificates = new(StringComparer.Ordinal);
    private CatalogSnapshot _catalog = CatalogSnapshot.Empty;

    // Hosts and backends whose recorded version changed since the catalog was last built: only they are looked at to build the next.
    private readonly HashSet<string> _dirtyHosts = new(StringComparer.Ordinal);
    private readonly HashSet<string> _dirtyBackends = new(StringComparer.Ordinal);

    // The catalog generation this writer last saw the grain hold: only a delta from it can be published.
    private long _grainHolds;
    private string _rejectionsFingerprint = Fingerprint(ImmutableArray<Rejection>.Empty);
    private long _generationFloor;
    private bool _forceCatalog;

    /// <summary>Passes of writes before a publication gives up on grains that keep holding foreign versions.</summary>
    private const int MaxConvergeAttempts = 4;

    /// <summary>The catalog last written (or about to be written).</summary>
    public CatalogSnapshot Catalog => _catalog;

    /// <summary>
    /// Publishes what changed; with <paramref name="rewriteAll"/>, rewrites every grain to repair any lost one.
    /// A grain found holding a version this writer never wrote (a previous leader's, or a planted one)
    /// is rewritten above it with the desired content, and so is the catalog: whatever the grains
    /// hold, they converge to the desired state.
    /// </summary>
    public async Task PublishAsync(DesiredState desired, bool rewriteAll, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                var foreign = await PublishOnceAsync(desired, rewriteAll, cancellationToken);
                if (foreign.Count == 0)
                {
                    return;
                }

                if (attempt == MaxConvergeAttempts)
                {
                    // The reconciler retries with a full rewrite after a backoff.
                    throw new InvalidOperationException(
                        $"Grains still hold versions this route source did not write after {attempt} rewrites: {string.Join(", ", foreign.Select(f => $"{f.Grain} {f.HeldVersion}"))}");
                }

                _generationFloor = Math.Max(_generationFloor, foreign.Max(f => f.HeldVersion));
                foreach (var (grain, held) in foreign)
                {
                    if (await AdoptIfDesiredAsync(grain))
                    {
                        // Another writer (a previous leader) wrote the same content: take its version, rewrite nothing.
                        LogAdopted(grain, held);
                        continue;
                    }

                    // Forget what this writer gave the grain, so the next pass writes it again above the held version.
                    LogForeignVersion(grain, held);
                    _ = grain.Kind switch
                    {
                        GrainKind.Host => _hosts.Remove(grain.Key),
                        GrainKind.Backend => _backends.Remove(grain.Key),
                        GrainKind.Certificate => _certificates.Remove(grain.Key),
                        _ => true,
                    };
                }

                // The catalog names the versions now recorded, so it is written again (above any it holds), unless it was adopted.
                _forceCatalog = foreign.Any(f => f.Grain.Kind != GrainKind.Catalog) || _catalog.Generation < _generationFloor;
                rewriteAll = false;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>True when the grain holds what this writer wants in it (at another version), which is then recorded as written.</summary>
    private async Task<bool> AdoptIfDesiredAsync(ForeignGrain grain)
    {
        switch (grain.Kind)
        {
            case GrainKind.Host when _hosts.TryGetValue(grain.Key, out var mine):
                var routes = await grains.GetGrain<IHostRouteGrain>(grain.Key).GetRoutes();
                return Adopt(_hosts, grain.Key, routes, routes with { Version = 0 }, mine, _dirtyHosts);
            case GrainKind.Backend when _backends.TryGetValue(grain.Key, out var mine):
                var backend = await grains.GetGrain<IBackendGrain>(grain.Key).GetBackend();
                return Adopt(_backends, grain.Key, backend, backend with { Version = 0 }, mine, _dirtyBackends);
            case GrainKind.Certificate when _certificates.TryGetValue(grain.Key, out var mine):
                var certificate = await grains.GetGrain<ITlsCertificateGrain>(grain.Key).GetCertificate();
                return Adopt(_certificates, grain.Key, certificate, certificate with { Version = 0 }, mine, null);
            case GrainKind.Catalog:
                var held = await grains.GetGrain<IRouteCatalogGrain>(IRouteCatalogGrain.DefaultKey).GetSnapshot();
                if (SameContent(held, _catalog))
                {
                    _catalog = held;
                    _grainHolds = held.Generation;
                    return true;
                }

                return false;
            default:
                return false;
        }
    }

    private static bool Adopt<T, TContent>(Dictionary<string, Written<T, TContent>> current, string key, T held, T heldAtVersionZero, Written<T, TContent> mine, HashSet<string>? dirty)
    {
        if (Fingerprint(heldAtVersionZero) != mine.Fingerprint)
        {
            return false;
        }

        current[key] = mine with { Value = held };
        dirty?.Add(key);
        return true;
    }

    private static bool SameContent(CatalogSnapshot a, CatalogSnapshot b) =>
        a.Hosts.Count == b.Hosts.Count && a.Hosts.All(h => b.Hosts.TryGetValue(h.Key, out var v) && v == h.Value)
        && a.Backends.Count == b.Backends.Count && a.Backends.All(h => b.Backends.TryGetValue(h.Key, out var v) && v == h.Value)
        && Fingerprint(a.Rejections) == Fingerprint(b.Rejections);

    /// <summary>One pass of writes; returns the grains that hold a newer version than the one written (none normally).</summary>
    private async Task<List<(ForeignGrain Grain, long HeldVersion)>> PublishOnceAsync(DesiredState desired, bool rewriteAll, CancellationToken cancellationToken)
    {
        var generation = NextGeneration();
        var changedBackends = Diff(_backends, desired.Backends, generation, (id, version, b) => (b ?? BackendSpec.Empty(id)) with { Version = version }, _dirtyBackends);
        // Routes name certificates by content hash, so a changed certificate also changes its hosts.
        var changedCertificates = Diff(_certificates, desired.Certificates, generation,
            (key, version, c) => (c ?? TlsCertificateSpec.Empty(key)) with { Version = version }, null);
        var changedHosts = Diff(_hosts, desired.Hosts, generation, (host, version, r) => new HostRoutes(host, version, r.IsDefault ? [] : r), _dirtyHosts);
        var rejectionsFingerprint = Fingerprint(desired.Rejections);
        // A certificate alone changes too (the default certificate has no route naming it): a new generation tells edges to look.
        var changed = _catalog.Generation == 0 || _forceCatalog || changedBackends.Count > 0 || changedCertificates.Count > 0 || changedHosts.Count > 0 || rejectionsFingerprint != _rejectionsFingerprint;
        CatalogDelta? delta = null;
        if (changed)
        {
            LogRejections(desired.Rejections);
            _rejectionsFingerprint = rejectionsFingerprint;
            _forceCatalog = false;
            var (hosts, changedHostVersions, removedHosts) = Versions(_catalog.Hosts, _hosts, _dirtyHosts);
            var (backends, changedBackendVersions, removedBackends) = Versions(_catalog.Backends, _backends, _dirtyBackends);
            delta = new CatalogDelta(_catalog.Generation, generation, changedHostVersions, removedHosts, changedBackendVersions, removedBackends, desired.Rejections);
            _catalog = new CatalogSnapshot(generation, hosts, backends, desired.Rejections);
        }
        else if (!rewriteAll)
        {
            return [];
        }

        var backendsToWrite = rewriteAll ? _backends.Values.Select(b => b.Value).Union(changedBackends).ToList() : changedBackends;
        var certificatesToWrite = rewriteAll ? _certificates.Values.Select(c => c.Value).Union(changedCertificates).ToList() : changedCertificates;
        var hostsToWrite = rewriteAll ? _hosts.Values.Select(h => h.Value).Union(changedHosts).ToList() : changedHosts;
        var foreign = new List<(ForeignGrain Grain, long HeldVersion)>();
        await WriteAllAsync(backendsToWrite, b => new ForeignGrain(GrainKind.Backend, b.ClusterId), b => grains.GetGrain<IBackendGrain>(b.ClusterId).SetBackend(b), foreign);
        await WriteAllAsync(certificatesToWrite, c => new ForeignGrain(GrainKind.Certificate, c.SecretKey), c => grains.GetGrain<ITlsCertificateGrain>(c.SecretKey).SetCertificate(c), foreign);
        await WriteAllAsync(hostsToWrite, h => new ForeignGrain(GrainKind.Host, h.Host), h => grains.GetGrain<IHostRouteGrain>(h.Host).SetRoutes(h), foreign);
        if (foreign.Count > 0)
        {
            // The catalog would name versions the grains do not serve: converge them first.
            return foreign;
        }

        LogGrainsWritten(_catalog.Generation, hostsToWrite.Count, backendsToWrite.Count);
        var catalog = await PublishCatalogAsync(delta);
        if (CheckWrite(new ForeignGrain(GrainKind.Catalog, IRouteCatalogGrain.DefaultKey), _catalog.Generation, catalog) is { } newer)
        {
            return [(new ForeignGrain(GrainKind.Catalog, IRouteCatalogGrain.DefaultKey), newer)];
        }

        if (changed || catalog.Stored)
        {
            LogPublished(_catalog.Generation, hostsToWrite.Count, backendsToWrite.Count, rewriteAll);
        }

        return [];
    }

    /// <summary>
    /// What changed when the grain holds the catalog it changed from (a publication then costs what
    /// changed, not the table's 20,000 entries at 10,000 hosts); else, or when it refuses, the whole catalog.
    /// </summary>
    private async Task<VersionedWrite> PublishCatalogAsync(CatalogDelta? delta)
    {
        var grain = grains.GetGrain<IRouteCatalogGrain>(IRouteCatalogGrain.DefaultKey);
        var write = delta is not null && delta.FromGeneration == _grainHolds && _grainHolds > 0 ? await grain.PublishDelta(delta) : null;
        if (write is null || (!write.Stored && write.HeldVersion < _catalog.Generation))
        {
            write = await grain.Publish(_catalog);
        }

        if (write.HeldVersion == _catalog.Generation)
        {
            _grainHolds = _catalog.Generation;
        }

        return write;
    }

    private async Task WriteAllAsync<T>(List<T> values, Func<T, ForeignGrain> grainOf, Func<T, Task<VersionedWrite>> write, List<(ForeignGrain, long)> foreign)
        where T : IVersioned
    {
        var outcomes = await Task.WhenAll(values.Select(write));
        for (var i = 0; i < values.Count; i++)
        {
            if (CheckWrite(grainOf(values[i]), values[i].Version, outcomes[i]) is { } newer)
            {
                foreign.Add((grainOf(values[i]), newer));
            }
        }
    }

    /// <summary>The version a grain holds above the one written (this writer never wrote it), or null.</summary>
    private long? CheckWrite(ForeignGrain grain, long written, VersionedWrite outcome)
    {
        if (outcome.HeldVersion > written)
        {
            return outcome.HeldVersion;
        }

        if (!outcome.Stored && outcome.HeldVersion < written)
        {
            LogRefusedAhead(grain, written);
        }

        return null;
    }

    private enum GrainKind
    {
        Backend,
        Certificate,
        Host,
        Catalog,
    }

    /// <summary>A grain named in logs: its kind and key.</summary>
    private readonly record struct ForeignGrain(GrainKind Kind, string Key)
    {
        public override string ToString() => $"{Kind.ToString().ToLowerInvariant()} '{Key}'";
    }

    /// <summary>What this writer gave one grain: the value, its fingerprint at version 0, and the desired content it came from.</summary>
    private readonly record struct Written<TValue, TContent>(TValue Value, string Fingerprint, TContent Content);

    /// <summary>
    /// Records new content with a fresh version; a key that disappeared gets an empty value (content
    /// null) with a fresh version, so its grain is cleared. Returns what must be written.
    /// </summary>
    private static List<TValue> Diff<TValue, TContent>(
        Dictionary<string, Written<TValue, TContent>> current,
        IReadOnlyDictionary<string, TContent> desired,
        long generation,
        Func<string, long, TContent?, TValue> create,
        HashSet<string>? dirty)
    {
        var changed = new List<TValue>();
        foreach (var (key, content) in desired)
        {
            // The converter hands back unchanged outputs as they were (the same route array, an equal backend record):
            // serializing every one of 10,000 hosts to find the one that changed would cost in proportion to the table.
            current.TryGetValue(key, out var existing);
            if (existing.Fingerprint is not null && EqualityComparer<TContent>.Default.Equals(existing.Content, content))
            {
                continue;
            }

            // The whole value at version 0, so settings beside the content (e.g. health checks) count as changes too.
            var fingerprint = Fingerprint(create(key, 0, content));
            if (existing.Fingerprint == fingerprint)
            {
                current[key] = existing with { Content = content };
                continue;
            }

            var value = create(key, generation, content);
            current[key] = new(value, fingerprint, content);
            changed.Add(value);
            dirty?.Add(key);
        }

        // Every desired key is recorded now: as many recorded as desired means none went.
        foreach (var key in current.Count == desired.Count ? [] : current.Keys.Where(k => !desired.ContainsKey(k)).ToList())
        {
            // Cleared once and forgotten: the catalog no longer names it, so no edge reads it again.
            current.Remove(key);
            changed.Add(create(key, generation, default));
            dirty?.Add(key);
        }

        return changed;
    }

    /// <summary>
    /// The version of each grain as recorded, from the previous catalog's with the <paramref name="dirty"/> keys'
    /// (then forgotten) looked at again, and what changed: building it anew costs in proportion to the table.
    /// </summary>
    private static (ImmutableDictionary<string, long> Versions, ImmutableDictionary<string, long> Changed, ImmutableArray<string> Removed) Versions<TValue, TContent>(
        ImmutableDictionary<string, long> previous, Dictionary<string, Written<TValue, TContent>> current, HashSet<string> dirty)
        where TValue : IVersioned
    {
        var changed = ImmutableDictionary.CreateBuilder<string, long>(StringComparer.Ordinal);
        var removed = ImmutableArray.CreateBuilder<string>();
        foreach (var key in dirty)
        {
            if (current.TryGetValue(key, out var written))
            {
                if (!previous.TryGetValue(key, out var version) || version != written.Value.Version)
                {
                    changed[key] = written.Value.Version;
                }
            }
            else if (previous.ContainsKey(key))
            {
                removed.Add(key);
            }
        }

        dirty.Clear();
        return (previous.SetItems(changed).RemoveRange(removed), changed.ToImmutable(), removed.ToImmutable());
    }

    /// <summary>
    /// Microseconds since the epoch (<see cref="VersionClock"/>), and always above the last one and above
    /// any version found in a grain: a restarted or new writer starts above the old.
    /// </summary>
    private long NextGeneration() =>
        Math.Max(Math.Max(_catalog.Generation, _generationFloor) + 1, VersionClock.At(time.GetUtcNow()));

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

    [LoggerMessage(Level = LogLevel.Warning, Message = "The {Grain} grain holds version {Version}, which this route source did not write: rewriting it with the desired state above that version")]
    private partial void LogForeignVersion(ForeignGrain grain, long version);

    [LoggerMessage(Level = LogLevel.Information, Message = "The {Grain} grain holds version {Version} from another writer with the desired content; taking that version")]
    private partial void LogAdopted(ForeignGrain grain, long version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The {Grain} grain refused version {Version} as too far ahead of its silo's clock: check that the silos' clocks agree")]
    private partial void LogRefusedAhead(ForeignGrain grain, long version);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Generation {Generation}: wrote {Hosts} hosts and {Backends} backends; publishing the catalog")]
    private partial void LogGrainsWritten(long generation, int hosts, int backends);

    [LoggerMessage(Level = LogLevel.Information, Message = "Published routing generation {Generation}: wrote {Hosts} hosts and {Backends} backends (full resync: {Full})")]
    private partial void LogPublished(long generation, int hosts, int backends, bool full);
}
