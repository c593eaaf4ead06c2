using Orleans.Proxy.Edge.Routing;
using Yarp.ReverseProxy.Configuration;

namespace Orleans.Proxy.UnitTests.Routing;

/// <summary>When two YARP routes do the same once matched, and so may be one.</summary>
public sealed class RouteBehaviourComparerTests
{
    private static readonly RouteBehaviourComparer Comparer = RouteBehaviourComparer.Instance;

    private static RouteConfig Config(string clusterId = "ns/web:80") => new()
    {
        RouteId = "ns/a#0.0",
        ClusterId = clusterId,
        Order = 1,
        Match = new RouteMatch { Path = "/{**catch-all}" },
        Metadata = new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" },
        Transforms = [new Dictionary<string, string> { ["RequestHeaderOriginalHost"] = "true" }],
    };

    [Fact]
    public void Equals_OnlyIdAndOrderDiffer_EqualWithEqualHashes()
    {
        var other = Config() with { RouteId = "ns/b#3.1", Order = 7, Metadata = new Dictionary<string, string> { ["b"] = "2", ["a"] = "1" } };

        Assert.True(Comparer.Equals(Config(), other));
        Assert.Equal(Comparer.GetHashCode(Config()), Comparer.GetHashCode(other));
    }

    [Fact]
    public void Equals_NullAndEmptyMetadata_Equal() =>
        Assert.True(Comparer.Equals(Config() with { Metadata = null }, Config() with { Metadata = new Dictionary<string, string>() }));

    public static TheoryData<string> Differences => new(Changes.Keys);

    private static readonly Dictionary<string, Func<RouteConfig, RouteConfig>> Changes = new(StringComparer.Ordinal)
    {
        // YARP's own equality ignores the case of ids and policy names, and leaves MaxRequestBodySize out.
        ["cluster id's case"] = c => c with { ClusterId = "ns/Web:80" },
        ["body size"] = c => c with { MaxRequestBodySize = 10 },
        ["rate limiter policy's case"] = c => c with { RateLimiterPolicy = "Shared" },
        ["metadata value"] = c => c with { Metadata = new Dictionary<string, string> { ["a"] = "1", ["b"] = "3" } },
        ["metadata key"] = c => c with { Metadata = new Dictionary<string, string> { ["a"] = "1", ["c"] = "2" } },
        ["one more metadata entry"] = c => c with { Metadata = new Dictionary<string, string>(c.Metadata!) { ["c"] = "3" } },
        ["transform"] = c => c with { Transforms = [new Dictionary<string, string> { ["RequestHeaderOriginalHost"] = "false" }] },
        ["one more transform"] = c => c with { Transforms = [.. c.Transforms!, new Dictionary<string, string> { ["X-Forwarded"] = "Set" }] },
        ["timeout"] = c => c with { Timeout = TimeSpan.FromSeconds(5) },
        ["authorization policy"] = c => c with { AuthorizationPolicy = "p" },
        ["match"] = c => c with { Match = new RouteMatch { Path = "/other" } },
    };

    [Theory]
    [MemberData(nameof(Differences))]
    public void Equals_BehaviourDiffers_NotEqual(string difference) =>
        Assert.False(Comparer.Equals(Config(), Changes[difference](Config())));

    /// <summary>A YARP upgrade that adds a route setting must be looked at here: routes differing in it must not share.</summary>
    [Fact]
    public void Equals_EveryRouteConfigProperty_KnownToTheComparer()
    {
        string[] compared =
        [
            "AuthorizationPolicy", "ClusterId", "CorsPolicy", "MaxRequestBodySize", "Match", "Metadata", "OutputCachePolicy",
            "RateLimiterPolicy", "Timeout", "TimeoutPolicy", "Transforms",
        ];

        Assert.Equal(
            compared.Append("Order").Append("RouteId").Order(StringComparer.Ordinal),
            typeof(RouteConfig).GetProperties().Select(p => p.Name).Order(StringComparer.Ordinal));
    }
}
