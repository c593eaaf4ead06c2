using Orleans.Proxy.Edge.Affinity;
using Yarp.ReverseProxy.Model;

namespace Orleans.Proxy.UnitTests.Affinity;

/// <summary>The affinity cookie's value: a random key and a hint naming the destination its first request went to.</summary>
public sealed class AffinityCookieHintTests
{
    private readonly List<DestinationState> _available = [new("10.0.0.1:80"), new("10.0.0.2:80"), new("10.0.0.3:80")];

    [Fact]
    public void Issue_EveryDestination_ItsOwnHintFoundAmongTheAvailable()
    {
        foreach (var destination in _available)
        {
            var value = AffinityCookie.Issue(destination);

            Assert.Same(destination, AffinityCookie.Hinted(value, _available));
            Assert.DoesNotContain("10.0.0", value, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Issue_SameDestinationTwice_DifferentKeys()
    {
        Assert.NotEqual(AffinityCookie.Issue(_available[0]), AffinityCookie.Issue(_available[0]));
    }

    [Fact]
    public void Hinted_DestinationNoLongerAvailable_None()
    {
        var value = AffinityCookie.Issue(_available[2]);

        Assert.Null(AffinityCookie.Hinted(value, _available[..2]));
    }

    [Theory]
    [InlineData("0123456789abcdef0123456789abcdef")]
    [InlineData("no-dot-here")]
    [InlineData(".")]
    [InlineData(".0123abcd")]
    [InlineData("key.zzzzzzzz")]
    [InlineData("key.0123abc")]
    [InlineData("")]
    public void Hinted_ValueWithoutAKnownHint_None(string value)
    {
        Assert.Null(AffinityCookie.Hinted(value, _available));
    }
}
