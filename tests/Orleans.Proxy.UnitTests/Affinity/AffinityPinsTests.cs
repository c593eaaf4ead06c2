using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orleans.Proxy.Affinity;
using Orleans.Proxy.Diagnostics;
using Orleans.Proxy.Edge.Affinity;
using Orleans.Proxy.UnitTests.Fakes;
using Yarp.ReverseProxy.Model;

namespace Orleans.Proxy.UnitTests.Affinity;

/// <summary>The edge's cache of affinity pins (capacity, TTL, provisional hash answers), with in-memory grains on a fake clock.</summary>
public sealed class AffinityPinsTests : IDisposable
{
    private const string ClusterId = "ns/web:80";
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan LookupTimeout = TimeSpan.FromMilliseconds(50);
    private static readonly AffinitySpec Spec = new(AffinityMode.Header, "X-User", Ttl);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly List<DestinationState> _available = [new("d1"), new("d2"), new("d3")];
    private readonly List<string> _resolves = [];
    private readonly List<string?> _choices = [];
    private readonly List<(string Key, TimeSpan Ttl, string Destination)> _touches = [];

    /// <summary>What every affinity grain answers; by default the rendezvous choice's neighbour, so a grain answer is told apart from the hash.</summary>
    private Func<string, Task<AffinityPin>> _answer;

    public AffinityPinsTests() => _answer = key => Task.FromResult(new AffinityPin(NotTheHash(key), 0));

    private readonly RecordingMeters _meters = new();

    private AffinityPins Pins(int maxEntries = 1000) => new(
        new FakeGrainFactory(key => new FakeAffinityGrain(this, key)),
        _time,
        Options.Create(new AffinityOptions { LookupTimeout = LookupTimeout, MaxEntries = maxEntries }),
        new ProxyMetrics(_meters),
        NullLogger<AffinityPins>.Instance);

    public void Dispose() => _meters.Dispose();

    private static string Hash(string key) => RendezvousHash.Pick(key, ["d1", "d2", "d3"])!;

    private static string NotTheHash(string key) => Hash(key) == "d1" ? "d2" : "d1";

    private async Task<string?> PickAsync(AffinityPins pins, string key) =>
        (await pins.PickAsync(ClusterId, key, Spec, _available))?.DestinationId;

    [Fact]
    public async Task PickAsync_NewKey_AsksGrainOnceThenServesFromCache()
    {
        var pins = Pins();

        Assert.Equal(NotTheHash("u"), await PickAsync(pins, "u"));
        Assert.Equal(NotTheHash("u"), await PickAsync(pins, "u"));

        Assert.Single(_resolves);
        Assert.Equal((1, 0, 1), (pins.Lookups, pins.Fallbacks, pins.Count));
    }

    [Fact]
    public async Task PickAsync_NewKey_OffersTheGrainItsRendezvousChoice()
    {
        await PickAsync(Pins(), "u");

        Assert.Equal([Hash("u")], _choices);
    }

    [Fact]
    public async Task PickAsync_AskedAgainAfterFallback_OffersWhereTheKeyWentThoughTheHashMovedSince()
    {
        var pins = Pins();
        // A key whose rendezvous choice changes when a fourth destination is added.
        var key = Enumerable.Range(0, 100).Select(i => $"k-{i}").First(k => RendezvousHash.Pick(k, ["d1", "d2", "d3", "d4"]) == "d4");
        _answer = _ => Task.FromException<AffinityPin>(new InvalidOperationException("no silo"));
        Assert.Equal(Hash(key), await PickAsync(pins, key));

        _available.Add(new("d4"));
        _answer = k => Task.FromResult(new AffinityPin(Hash(k), 0));
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(Hash(key), await PickAsync(pins, key));
        Assert.Equal([Hash(key), Hash(key)], _choices);
    }

    [Fact]
    public async Task PickAsync_KeyHintsADestination_OfferedToTheGrainAndUsedWhenItDoesNotAnswer()
    {
        var pins = Pins();
        var hinted = _available.First(d => d.DestinationId != Hash("u"));
        _answer = _ => Task.FromException<AffinityPin>(new InvalidOperationException("no silo"));

        var hintsRead = 0;
        DestinationState? Hint(string key, IReadOnlyList<DestinationState> available)
        {
            hintsRead++;
            return hinted;
        }

        Assert.Equal(hinted.DestinationId, (await pins.PickAsync(ClusterId, "u", Spec, _available, Hint))?.DestinationId);
        Assert.Equal([hinted.DestinationId], _choices);

        // Served from the cache (the grain answers again): the hint is not read on a hit.
        _answer = _ => Task.FromResult(new AffinityPin(hinted.DestinationId, 0));
        _time.Advance(TimeSpan.FromSeconds(1));
        await pins.PickAsync(ClusterId, "u", Spec, _available, Hint);
        await pins.PickAsync(ClusterId, "u", Spec, _available, Hint);
        Assert.Equal(2, hintsRead);
    }

    [Fact]
    public async Task PickAsync_Fallbacks_CountedByReason()
    {
        var pins = Pins();
        var never = new TaskCompletionSource<AffinityPin>();
        var answers = new Queue<Func<string, Task<AffinityPin>>>([
            _ => never.Task,
            _ => Task.FromException<AffinityPin>(new InvalidOperationException("no silo")),
            _ => Task.FromResult(new AffinityPin(string.Empty, 0)),
            _ => Task.FromResult(new AffinityPin("d9", 0)),
        ]);
        _answer = key => answers.Dequeue()(key);

        var timedOut = PickAsync(pins, "a");
        _time.Advance(LookupTimeout);
        await timedOut;
        await PickAsync(pins, "b");
        await PickAsync(pins, "c");
        await PickAsync(pins, "d");

        Assert.Equal(4, pins.Fallbacks);
        Assert.Equal(["timeout", "error", "grainKnowsNoDestination", "pinnedNotAvailableHere"], pins.FallbacksByReason().Keys);
        Assert.All(pins.FallbacksByReason().Values, count => Assert.Equal(1, count));
        Assert.Equal(pins.FallbacksByReason().Keys.Order(), _meters.Recorded("orleans_proxy.affinity.fallbacks", "reason").Order());
        Assert.Equal(Enumerable.Repeat("affinity", 4), _meters.Recorded("orleans_proxy.request_path.grain_calls", "grain"));
    }

    [Fact]
    public async Task PickAsync_KeyUsedWithinTtlForLongerThanTtl_ServedFromCacheWithoutGrainCall()
    {
        var pins = Pins();
        await PickAsync(pins, "u");

        for (var i = 0; i < 6; i++)
        {
            _time.Advance(Ttl / 2);
            Assert.Equal(NotTheHash("u"), await PickAsync(pins, "u"));
        }

        Assert.Single(_resolves);
    }

    [Fact]
    public async Task PickAsync_CachedKeyIdleLongerThanTtl_AsksGrainAgain()
    {
        var pins = Pins();
        await PickAsync(pins, "u");

        _time.Advance(Ttl);
        await PickAsync(pins, "u");
        Assert.Single(_resolves);

        _time.Advance(Ttl + TimeSpan.FromTicks(1));
        await PickAsync(pins, "u");
        Assert.Equal(2, _resolves.Count);
    }

    [Fact]
    public async Task PickAsync_CachedDestinationNoLongerAvailable_AsksGrainAgain()
    {
        var pins = Pins();
        var first = await PickAsync(pins, "u");
        _available.RemoveAll(d => d.DestinationId == first);
        _answer = key => Task.FromResult(new AffinityPin(RendezvousHash.Pick(key, _available.Select(d => d.DestinationId))!, 1));

        var moved = await PickAsync(pins, "u");

        Assert.NotEqual(first, moved);
        Assert.Equal(2, _resolves.Count);
        Assert.Equal(0, pins.Fallbacks);
    }

    [Fact]
    public async Task PickAsync_GrainUnreachable_RendezvousHashCachedForOneSecond()
    {
        var pins = Pins();
        _answer = _ => Task.FromException<AffinityPin>(new InvalidOperationException("no silo"));

        Assert.Equal(Hash("u"), await PickAsync(pins, "u"));
        _time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Equal(Hash("u"), await PickAsync(pins, "u"));
        Assert.Single(_resolves);

        _answer = key => Task.FromResult(new AffinityPin(NotTheHash(key), 0));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(NotTheHash("u"), await PickAsync(pins, "u"));
        Assert.Equal(2, _resolves.Count);
        Assert.Equal(1, pins.Fallbacks);
    }

    [Fact]
    public async Task PickAsync_GrainSlowerThanLookupTimeout_RendezvousHashAnswers()
    {
        var pins = Pins();
        var never = new TaskCompletionSource<AffinityPin>();
        _answer = _ => never.Task;

        var pick = PickAsync(pins, "u");
        _time.Advance(LookupTimeout - TimeSpan.FromMilliseconds(1));
        Assert.False(pick.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal(Hash("u"), await pick);
        Assert.Equal(1, pins.Fallbacks);
    }

    [Fact]
    public async Task PickAsync_GrainNamesDestinationNotAvailableHere_RendezvousHash()
    {
        var pins = Pins();
        _answer = _ => Task.FromResult(new AffinityPin("d9", 0));

        Assert.Equal(Hash("u"), await PickAsync(pins, "u"));
        Assert.Equal(1, pins.Fallbacks);
    }

    [Fact]
    public async Task PickAsync_CacheFull_NewKeysHashedWithoutGrainCalls()
    {
        var pins = Pins(maxEntries: 2);
        var keys = Enumerable.Range(0, 10).Select(i => $"k-{i}").ToList();

        foreach (var key in keys)
        {
            await PickAsync(pins, key);
        }

        var again = new List<string?>();
        foreach (var key in keys)
        {
            again.Add(await PickAsync(pins, key));
        }

        Assert.Equal(["ns/web:80|k-0", "ns/web:80|k-1"], _resolves);
        Assert.Equal(2, pins.Count);
        Assert.Equal(keys.Select((k, i) => i < 2 ? NotTheHash(k) : Hash(k)), again);
        // Beyond the cache is not a fallback: the grain was never asked.
        Assert.Equal(0, pins.Fallbacks);
    }

    [Fact]
    public async Task PickAsync_CacheFullAndCachedKeyExpired_StillRefreshedFromGrain()
    {
        var pins = Pins(maxEntries: 1);
        await PickAsync(pins, "u");
        _time.Advance(Ttl + TimeSpan.FromTicks(1));

        Assert.Equal(NotTheHash("u"), await PickAsync(pins, "u"));
        Assert.Equal(2, _resolves.Count);
        Assert.Equal(1, pins.Count);
    }

    [Fact]
    public async Task Sweep_KeyIdlePastTtl_Forgotten()
    {
        var pins = Pins();
        await PickAsync(pins, "idle");
        await PickAsync(pins, "used");

        _time.Advance(Ttl / 2);
        await PickAsync(pins, "used");
        _time.Advance(Ttl / 2 + TimeSpan.FromTicks(1));
        pins.Sweep();

        Assert.Equal(1, pins.Count);
        await PickAsync(pins, "used");
        Assert.Equal(2, _resolves.Count);
    }

    [Fact]
    public async Task Sweep_KeyInUse_TouchesGrainAtMostFourTimesPerTtl()
    {
        var pins = Pins();
        await PickAsync(pins, "u");
        pins.Sweep();
        Assert.Empty(_touches);

        _time.Advance(Ttl / 8);
        await PickAsync(pins, "u");
        pins.Sweep();
        Assert.Empty(_touches);

        _time.Advance(Ttl / 8);
        pins.Sweep();
        Assert.Equal([("ns/web:80|u", Ttl, NotTheHash("u"))], _touches);

        // Not used since the touch: nothing to extend.
        _time.Advance(Ttl / 4);
        pins.Sweep();
        Assert.Single(_touches);
    }

    [Fact]
    public async Task Sweep_ProvisionalHashAnswer_NeverTouchesGrain()
    {
        var pins = Pins();
        _answer = _ => Task.FromException<AffinityPin>(new InvalidOperationException("no silo"));
        await PickAsync(pins, "u");

        _time.Advance(TimeSpan.FromMilliseconds(500));
        await PickAsync(pins, "u");
        _time.Advance(Ttl / 4);
        pins.Sweep();

        Assert.Empty(_touches);
    }

    private sealed class FakeAffinityGrain(AffinityPinsTests test, string key) : IAffinityGrain
    {
        public Task<AffinityPin> Resolve(TimeSpan ttl, string? choice)
        {
            Assert.Equal(Ttl, ttl);
            test._resolves.Add(key);
            test._choices.Add(choice);
            return test._answer(key.Split('|')[1]);
        }

        public Task<AffinityPeek> Peek() => throw new NotSupportedException();

        public Task Touch(TimeSpan ttl, string destination)
        {
            test._touches.Add((key, ttl, destination));
            return Task.CompletedTask;
        }
    }

    /// <summary>The meters of one test's <see cref="ProxyMetrics"/>, and what was recorded on them (other tests' meters are not listened to).</summary>
    private sealed class RecordingMeters : IMeterFactory
    {
        private readonly List<Meter> _meters = [];
        private readonly List<(string Instrument, KeyValuePair<string, object?>[] Tags)> _recorded = [];
        private readonly MeterListener _listener = new();

        public RecordingMeters()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (_meters.Contains(instrument.Meter))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, _, tags, _) => _recorded.Add((instrument.Name, tags.ToArray())));
        }

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            _meters.Add(meter);
            _listener.Start();
            return meter;
        }

        /// <summary>The value of <paramref name="tag"/> on each measurement of <paramref name="instrument"/>.</summary>
        public IEnumerable<string?> Recorded(string instrument, string tag) =>
            _recorded.Where(r => r.Instrument == instrument).Select(r => r.Tags.Single(t => t.Key == tag).Value as string);

        public void Dispose()
        {
            _listener.Dispose();
            _meters.ForEach(m => m.Dispose());
        }
    }
}
