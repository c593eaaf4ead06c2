using System.Collections.Immutable;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.UnitTests.Routing;

public sealed class CatalogDeltaTests
{
    [Fact]
    public void Between_OneHostChangedOneAddedOneRemoved_CarriesOnlyThoseAndAppliesToTheNewCatalog()
    {
        var before = Catalog(1, ("a", 1), ("b", 1), ("c", 1));
        var after = Catalog(2, ("a", 1), ("b", 2), ("d", 2));

        var delta = CatalogDelta.Between(before, after);

        Assert.Equal(["b", "d"], delta.Hosts.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("c", Assert.Single(delta.RemovedHosts));
        var applied = delta.ApplyTo(before);
        Assert.Equal(after.Generation, applied.Generation);
        Assert.Equal(after.Hosts.OrderBy(h => h.Key, StringComparer.Ordinal), applied.Hosts.OrderBy(h => h.Key, StringComparer.Ordinal));
    }

    [Fact]
    public void ApplyTo_CatalogAtAnotherGeneration_Refused()
    {
        var delta = CatalogDelta.Between(Catalog(1, ("a", 1)), Catalog(3, ("a", 3)));

        Assert.Throws<InvalidOperationException>(() => delta.ApplyTo(Catalog(2, ("a", 2))));
    }

    private static CatalogSnapshot Catalog(long generation, params (string Host, long Version)[] hosts) =>
        CatalogSnapshot.Empty with
        {
            Generation = generation,
            Hosts = hosts.ToImmutableDictionary(h => h.Host, h => h.Version, StringComparer.Ordinal),
        };
}
