using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Proxy.Affinity;
using Orleans.Proxy.Diagnostics;
using Yarp.ReverseProxy.Model;

namespace Orleans.Proxy.Edge.Affinity;

/// <summary>
/// This edge's cache of affinity pins. A hit (the steady state) makes no grain call. A miss, or a
/// pinned destination this edge no longer has available, asks the key's grain once with a short
/// timeout, offering the destination this edge would use; if that fails, the rendezvous hash over the
/// available destinations answers and is cached briefly, then the grain is asked again, offered where
/// the key went meanwhile. Keys in use extend their grain's TTL in the background. A cookie the edge
/// issues never comes here on its first request (<see cref="AffinityMiddleware"/>).
/// </summary>
internal sealed partial class AffinityPins(
    IGrainFactory grains,
    TimeProvider time,
    IOptions<AffinityOptions> options,
    ProxyMetrics metrics,
    ILogger<AffinityPins> logger) : BackgroundService
{
    /// <summary>Each <see cref="AffinityFallback"/>'s name as /diag/affinity and the metric's label say it, built once.</summary>
    private static readonly string[] ReasonNames = [.. Enum.GetValues<AffinityFallback>().Select(r => JsonNamingPolicy.CamelCase.ConvertName(r.ToString()))];

    /// <summary>How long a fallback answer is used before the grain is asked again.</summary>
    private static readonly TimeSpan ProvisionalFor = TimeSpan.FromSeconds(1);

    // Keyed by (cluster, affinity key), not by the grain key: a hit, every request's case, builds no string.
    private readonly ConcurrentDictionary<(string Cluster, string Key), Pin> _pins = new();
    private readonly long[] _fallbacks = new long[ReasonNames.Length];
    private long _lookups;

    public int Count => _pins.Count;

    public long Lookups => Interlocked.Read(ref _lookups);

    public long Fallbacks
    {
        get
        {
            long sum = 0;
            for (var i = 0; i < _fallbacks.Length; i++)
            {
                sum += Interlocked.Read(ref _fallbacks[i]);
            }

            return sum;
        }
    }

    /// <summary>Fallbacks to the rendezvous hash so far, by why the grain's answer was not used.</summary>
    public IReadOnlyDictionary<string, long> FallbacksByReason() =>
        Enumerable.Range(0, ReasonNames.Length).ToDictionary(i => ReasonNames[i], i => Interlocked.Read(ref _fallbacks[i]));

    /// <summary>
    /// The destination for <paramref name="key"/> among <paramref name="available"/>; <paramref name="hint"/>: reads the one the
    /// key itself names (an affinity cookie records where its first request went), offered to the grain instead of the hash.
    /// It runs only when the cache cannot answer.
    /// </summary>
    public async ValueTask<DestinationState?> PickAsync(
        string clusterId, string key, AffinitySpec spec, IReadOnlyList<DestinationState> available,
        Func<string, IReadOnlyList<DestinationState>, DestinationState?>? hint = null)
    {
        var cacheKey = (clusterId, key);
        var now = time.GetTimestamp();
        if (_pins.TryGetValue(cacheKey, out var pin) && pin.IsFresh(now, time) && Find(available, pin.DestinationId) is { } cached)
        {
            pin.LastUsed = now;
            return cached;
        }

        var hinted = hint?.Invoke(key, available);

        // A full cache must not turn into a grain call per request: keys beyond it use the hint or the hash alone.
        if (pin is null && _pins.Count >= options.Value.MaxEntries)
        {
            return hinted ?? Rendezvous(key, available);
        }

        // Where this edge would send the key: where it went while the grain did not answer, else where the key
        // says its first request went, else the hash.
        var choice = (pin is not null ? Find(available, pin.DestinationId) : null) ?? hinted ?? Rendezvous(key, available);

        Interlocked.Increment(ref _lookups);
        metrics.RequestPathGrainCall("affinity");
        AffinityFallback reason;
        try
        {
            var resolved = await grains.GetGrain<IAffinityGrain>(IAffinityGrain.Key(clusterId, key)).Resolve(spec.Ttl, choice?.DestinationId)
                .WaitAsync(options.Value.LookupTimeout, time);
            if (Find(available, resolved.DestinationId) is { } pinned)
            {
                Store(cacheKey, new Pin(pinned.DestinationId, spec.Ttl, now, provisionalUntil: null));
                return pinned;
            }

            reason = resolved.DestinationId.Length == 0 ? AffinityFallback.GrainKnowsNoDestination : AffinityFallback.PinnedNotAvailableHere;
        }
        catch (TimeoutException)
        {
            reason = AffinityFallback.Timeout;
        }
        catch (Exception e)
        {
            // Whatever the failure (no silo, client shutting down), this edge's own choice answers.
            reason = AffinityFallback.Error;
            LogLookupFailed(clusterId, e.GetType().Name);
        }

        Interlocked.Increment(ref _fallbacks[(int)reason]);
        metrics.AffinityFallback(ReasonNames[(int)reason]);
        LogFellBack(clusterId, reason);
        if (choice is not null)
        {
            Store(cacheKey, new Pin(choice.DestinationId, spec.Ttl, now, now + (long)(ProvisionalFor.TotalSeconds * time.TimestampFrequency)));
        }

        return choice;
    }

    private void Store((string Cluster, string Key) cacheKey, Pin pin)
    {
        if (_pins.Count < options.Value.MaxEntries || _pins.ContainsKey(cacheKey))
        {
            _pins[cacheKey] = pin;
        }
    }

    private static DestinationState? Rendezvous(string key, IReadOnlyList<DestinationState> available) =>
        Find(available, RendezvousHash.Pick(key, available.Select(d => d.DestinationId)));

    private static DestinationState? Find(IReadOnlyList<DestinationState> available, string? id)
    {
        if (string.IsNullOrEmpty(id))
        {
            return null;
        }

        for (var i = 0; i < available.Count; i++)
        {
            if (string.Equals(available[i].DestinationId, id, StringComparison.Ordinal))
            {
                return available[i];
            }
        }

        return null;
    }

    /// <summary>Every second: <see cref="Sweep"/>.</summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                Sweep();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Forgets keys idle past their TTL, and extends the grain's TTL of keys in use (at most four times per TTL).</summary>
    internal void Sweep()
    {
        var now = time.GetTimestamp();
        foreach (var (cacheKey, pin) in _pins)
        {
            if (time.GetElapsedTime(pin.LastUsed, now) > pin.Ttl)
            {
                _pins.TryRemove(new KeyValuePair<(string, string), Pin>(cacheKey, pin));
            }
            else if (pin.ProvisionalUntil is null && pin.LastUsed > pin.Touched && time.GetElapsedTime(pin.Touched, now) >= pin.Ttl / 4)
            {
                pin.Touched = now;
                grains.GetGrain<IAffinityGrain>(IAffinityGrain.Key(cacheKey.Cluster, cacheKey.Key)).Touch(pin.Ttl, pin.DestinationId).Ignore();
            }
        }
    }

    private sealed class Pin(string destinationId, TimeSpan ttl, long now, long? provisionalUntil)
    {
        public string DestinationId { get; } = destinationId;

        public TimeSpan Ttl { get; } = ttl;

        public long? ProvisionalUntil { get; } = provisionalUntil;

        public long LastUsed { get; set; } = now;

        public long Touched { get; set; } = now;

        public bool IsFresh(long now, TimeProvider time) =>
            (ProvisionalUntil is null || now < ProvisionalUntil) && time.GetElapsedTime(LastUsed, now) <= Ttl;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Affinity lookup for {ClusterId} failed: {Exception}")]
    private partial void LogLookupFailed(string clusterId, string exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Affinity lookup for {ClusterId} fell back to the rendezvous hash: {Reason}")]
    private partial void LogFellBack(string clusterId, AffinityFallback reason);
}

/// <summary>Why an affinity lookup fell back to the rendezvous hash.</summary>
internal enum AffinityFallback
{
    /// <summary>The grain did not answer within <c>Affinity:LookupTimeout</c>.</summary>
    Timeout,
    /// <summary>The call failed (no silo reachable, client stopping).</summary>
    Error,
    /// <summary>The grain's backend knows no available destination (lost with a silo and not yet rewritten, or all down).</summary>
    GrainKnowsNoDestination,
    /// <summary>The grain pinned a destination this edge does not have available (its routes or verdict not here yet).</summary>
    PinnedNotAvailableHere,
}
