using System.Collections.Immutable;
using Microsoft.Extensions.Time.Testing;
using Orleans.Proxy.Affinity;
using Orleans.Proxy.Health;

namespace Orleans.Proxy.UnitTests.Affinity;

/// <summary>The affinity grain's pin (sliding TTL, moves off unavailable destinations), on a fake clock.</summary>
public sealed class AffinityKeyStateTests
{
    private const string Key = "user-7";
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(30);
    private static readonly ImmutableArray<string> Three = ["d1", "d2", "d3"];

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private static BackendHealth Health(ImmutableArray<string> destinations, params string[] unavailable) =>
        new("ns/web:80", 1, destinations, [.. unavailable]);

    /// <summary>A destination set in which the key's rendezvous choice differs from <paramref name="pinned"/>.</summary>
    private static ImmutableArray<string> WithNewWinner(string pinned)
    {
        for (var i = 0; ; i++)
        {
            var candidate = $"new-{i}";
            if (RendezvousHash.Pick(Key, [.. Three, candidate]) == candidate && candidate != pinned)
            {
                return [.. Three, candidate];
            }
        }
    }

    [Fact]
    public void Resolve_NewKey_PinsRendezvousChoiceOfAvailable()
    {
        var state = new AffinityKeyState(Key, _time);

        var pin = state.Resolve(Health(Three, "d2"), Ttl, choice: null, out var movedFrom);

        Assert.Equal(RendezvousHash.Pick(Key, ["d1", "d3"]), pin.DestinationId);
        Assert.Equal(0, pin.Repins);
        Assert.Null(movedFrom);
    }

    [Fact]
    public void Resolve_WithinTtl_KeepsPinWhenHashWouldMove()
    {
        var state = new AffinityKeyState(Key, _time);
        var first = state.Resolve(Health(Three), Ttl, choice: null, out _).DestinationId;

        _time.Advance(Ttl);
        var again = state.Resolve(Health(WithNewWinner(first)), Ttl, choice: null, out var movedFrom);

        Assert.Equal(first, again.DestinationId);
        Assert.Null(movedFrom);
    }

    [Fact]
    public void Resolve_UsedEveryFewMinutesForLongerThanTtl_PinSlides()
    {
        var state = new AffinityKeyState(Key, _time);
        var first = state.Resolve(Health(Three), Ttl, choice: null, out _).DestinationId;
        var grown = WithNewWinner(first);

        for (var i = 0; i < 10; i++)
        {
            _time.Advance(Ttl / 2);
            Assert.Equal(first, state.Resolve(Health(grown), Ttl, choice: null, out _).DestinationId);
        }
    }

    [Fact]
    public void Touch_KeyInUseOnEdges_ExtendsTtl()
    {
        var state = new AffinityKeyState(Key, _time);
        var first = state.Resolve(Health(Three), Ttl, choice: null, out _).DestinationId;

        _time.Advance(Ttl - TimeSpan.FromSeconds(1));
        state.Touch(Ttl, first);
        _time.Advance(Ttl - TimeSpan.FromSeconds(1));

        Assert.Equal(first, state.Resolve(Health(WithNewWinner(first)), Ttl, choice: null, out _).DestinationId);
        Assert.Equal(_time.GetUtcNow(), state.Peek().LastUsed);
    }

    [Fact]
    public void Resolve_NewKeyWithEdgeChoiceAvailable_PinsTheChoice()
    {
        var state = new AffinityKeyState(Key, _time);
        var notTheHash = Three.First(d => d != RendezvousHash.Pick(Key, Three));

        var pin = state.Resolve(Health(Three), Ttl, notTheHash, out var movedFrom);

        Assert.Equal(notTheHash, pin.DestinationId);
        Assert.Null(movedFrom);
        Assert.Equal(notTheHash, state.Resolve(Health(Three), Ttl, choice: null, out _).DestinationId);
    }

    [Fact]
    public void Resolve_NewKeyWithEdgeChoiceUnavailableOrUnknown_PinsHashOfAvailable()
    {
        var unavailableChoice = new AffinityKeyState(Key, _time).Resolve(Health(Three, "d2"), Ttl, "d2", out _);
        var unknownChoice = new AffinityKeyState(Key, _time).Resolve(Health(Three), Ttl, "d9", out _);

        Assert.Equal(RendezvousHash.Pick(Key, ["d1", "d3"]), unavailableChoice.DestinationId);
        Assert.Equal(RendezvousHash.Pick(Key, Three), unknownChoice.DestinationId);
    }

    [Fact]
    public void Resolve_LivePinAvailable_EdgeChoiceIgnored()
    {
        var state = new AffinityKeyState(Key, _time);
        var first = state.Resolve(Health(Three), Ttl, choice: null, out _).DestinationId;

        var pin = state.Resolve(Health(Three), Ttl, Three.First(d => d != first), out var movedFrom);

        Assert.Equal(first, pin.DestinationId);
        Assert.Null(movedFrom);
    }

    [Fact]
    public void Resolve_PinnedDestinationUnavailable_MovedToEdgeChoiceWhenAvailable()
    {
        var state = new AffinityKeyState(Key, _time);
        var first = state.Resolve(Health(Three), Ttl, choice: null, out _).DestinationId;
        var survivors = Three.Where(d => d != first).ToList();
        var notTheHash = survivors.First(d => d != RendezvousHash.Pick(Key, survivors));

        var pin = state.Resolve(Health(Three, first), Ttl, notTheHash, out var movedFrom);

        Assert.Equal(notTheHash, pin.DestinationId);
        Assert.Equal(first, movedFrom);
    }

    [Fact]
    public void Resolve_BackendKnowsNoDestinations_NewKeyPinnedToEdgeChoiceAndKeptWhenTheyReturn()
    {
        var state = new AffinityKeyState(Key, _time);
        var notTheHash = Three.First(d => d != RendezvousHash.Pick(Key, Three));

        Assert.Equal(notTheHash, state.Resolve(Health([]), Ttl, notTheHash, out _).DestinationId);
        Assert.Equal(notTheHash, state.Resolve(Health(Three), Ttl, choice: null, out _).DestinationId);
    }

    [Fact]
    public void Touch_NoPinOrPinIdlePastTtl_PinsTheDestinationInUse()
    {
        var lost = new AffinityKeyState(Key, _time);
        lost.Touch(Ttl, "d3");
        Assert.Equal("d3", lost.Peek().DestinationId);

        var idle = new AffinityKeyState(Key, _time);
        var first = idle.Resolve(Health(Three), Ttl, choice: null, out _).DestinationId;
        var other = Three.First(d => d != first);
        _time.Advance(Ttl + TimeSpan.FromTicks(1));
        idle.Touch(Ttl, other);
        Assert.Equal(other, idle.Resolve(Health(Three), Ttl, choice: null, out _).DestinationId);
    }

    [Fact]
    public void Touch_LivePin_KeptWhateverTheDestinationTold()
    {
        var state = new AffinityKeyState(Key, _time);
        var first = state.Resolve(Health(Three), Ttl, choice: null, out _).DestinationId;

        state.Touch(Ttl, Three.First(d => d != first));

        Assert.Equal(first, state.Peek().DestinationId);
    }

    [Fact]
    public void Resolve_IdleLongerThanTtl_PinForgottenAndHashedAgain()
    {
        var state = new AffinityKeyState(Key, _time);
        var first = state.Resolve(Health(Three), Ttl, choice: null, out _).DestinationId;
        var grown = WithNewWinner(first);

        _time.Advance(Ttl + TimeSpan.FromTicks(1));
        var pin = state.Resolve(Health(grown), Ttl, choice: null, out var movedFrom);

        Assert.Equal(RendezvousHash.Pick(Key, grown), pin.DestinationId);
        // Expired is not moved: nobody was using it.
        Assert.Null(movedFrom);
        Assert.Equal(0, pin.Repins);
    }

    [Fact]
    public void Resolve_PinnedDestinationUnhealthy_RepinnedToHashOfHealthyOnes()
    {
        var state = new AffinityKeyState(Key, _time);
        var first = state.Resolve(Health(Three), Ttl, choice: null, out _).DestinationId;

        var pin = state.Resolve(Health(Three, first), Ttl, choice: null, out var movedFrom);

        Assert.Equal(RendezvousHash.Pick(Key, Three.Where(d => d != first)), pin.DestinationId);
        Assert.Equal(first, movedFrom);
        Assert.Equal(1, pin.Repins);
        Assert.Equal(pin.DestinationId, state.Peek().DestinationId);
    }

    [Fact]
    public void Resolve_PinnedDestinationHealthyAgain_StaysOnNewPin()
    {
        var state = new AffinityKeyState(Key, _time);
        var first = state.Resolve(Health(Three), Ttl, choice: null, out _).DestinationId;
        var moved = state.Resolve(Health(Three, first), Ttl, choice: null, out _).DestinationId;

        var pin = state.Resolve(Health(Three), Ttl, choice: null, out var movedFrom);

        Assert.Equal(moved, pin.DestinationId);
        Assert.Null(movedFrom);
        Assert.Equal(1, pin.Repins);
    }

    [Fact]
    public void Resolve_PinnedDestinationRemoved_Repinned()
    {
        var state = new AffinityKeyState(Key, _time);
        var first = state.Resolve(Health(Three), Ttl, choice: null, out _).DestinationId;

        var pin = state.Resolve(Health([.. Three.Where(d => d != first)]), Ttl, choice: null, out var movedFrom);

        Assert.NotEqual(first, pin.DestinationId);
        Assert.Equal(first, movedFrom);
    }

    [Fact]
    public void Resolve_BackendKnowsNoDestinations_KeepsPin()
    {
        var state = new AffinityKeyState(Key, _time);
        var first = state.Resolve(Health(Three), Ttl, choice: null, out _).DestinationId;

        var pin = state.Resolve(Health([]), Ttl, choice: null, out var movedFrom);

        Assert.Equal(first, pin.DestinationId);
        Assert.Null(movedFrom);
    }

    [Fact]
    public void Resolve_NoDestinationAvailable_EmptyPinThenHashedWhenOneReturns()
    {
        var state = new AffinityKeyState(Key, _time);

        var none = state.Resolve(Health(Three, [.. Three]), Ttl, choice: null, out _);
        Assert.Equal(string.Empty, none.DestinationId);
        Assert.Null(state.Peek().DestinationId);

        var pin = state.Resolve(Health(Three, "d1"), Ttl, choice: null, out var movedFrom);
        Assert.Equal(RendezvousHash.Pick(Key, ["d2", "d3"]), pin.DestinationId);
        Assert.Null(movedFrom);
    }

    [Fact]
    public void Peek_AfterResolve_NoSideEffects()
    {
        var state = new AffinityKeyState(Key, _time);
        Assert.Equal(new AffinityPeek(null, null, 0), state.Peek());
        var first = state.Resolve(Health(Three), Ttl, choice: null, out _).DestinationId;
        var pinnedAt = _time.GetUtcNow();

        _time.Advance(Ttl + TimeSpan.FromTicks(1));

        Assert.Equal(new AffinityPeek(first, pinnedAt, 0), state.Peek());
        Assert.Equal(new AffinityPeek(first, pinnedAt, 0), state.Peek());
    }
}
