using Orleans.Proxy.Affinity;

namespace Orleans.Proxy.UnitTests.Affinity;

public sealed class RendezvousHashTests
{
    private static readonly string[] Three = ["10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80"];
    private static readonly string[] Four = [.. Three, "10.0.0.4:80"];
    private static readonly List<string> Keys = [.. Enumerable.Range(0, 2000).Select(i => $"key-{i}")];

    [Fact]
    public void Weight_SameInput_SameValueInEveryProcessAndVersion()
    {
        // Edges of different builds (a rolling upgrade) must agree: the weight is XxHash64 of fixed bytes, never string.GetHashCode.
        Assert.Equal(RendezvousHash.Weight("user-1", "10.0.0.1:80"), RendezvousHash.Weight("user-1", "10.0.0.1:80"));
        Assert.Equal(System.IO.Hashing.XxHash64.HashToUInt64("user-1\u000010.0.0.1:80"u8), RendezvousHash.Weight("user-1", "10.0.0.1:80"));
    }

    [Fact]
    public void Pick_OrderOfDestinations_DoesNotMatter()
    {
        foreach (var key in Keys.Take(200))
        {
            Assert.Equal(RendezvousHash.Pick(key, Four), RendezvousHash.Pick(key, Four.Reverse()));
        }
    }

    [Fact]
    public void Pick_AddOneDestination_MovesOnlyKeysToItAboutAQuarter()
    {
        var moved = Keys.Where(k => RendezvousHash.Pick(k, Three) != RendezvousHash.Pick(k, Four)).ToList();
        Assert.All(moved, k => Assert.Equal("10.0.0.4:80", RendezvousHash.Pick(k, Four)));
        Assert.InRange(moved.Count, 400, 600);
    }

    [Fact]
    public void Pick_RemoveOneDestination_MovesOnlyItsKeys()
    {
        var survivors = Four.Where(d => d != "10.0.0.2:80").ToList();
        foreach (var key in Keys)
        {
            var before = RendezvousHash.Pick(key, Four);
            if (before != "10.0.0.2:80")
            {
                Assert.Equal(before, RendezvousHash.Pick(key, survivors));
            }
        }
    }

    [Fact]
    public void Pick_ManyKeys_SpreadEvenly()
    {
        var counts = Keys.GroupBy(k => RendezvousHash.Pick(k, Four)).ToDictionary(g => g.Key!, g => g.Count());
        Assert.Equal(4, counts.Count);
        Assert.All(counts.Values, c => Assert.InRange(c, 400, 600));
    }

    [Fact]
    public void Pick_NoDestinations_Null() => Assert.Null(RendezvousHash.Pick("k", []));
}
