using Orleans.Proxy.Affinity;
using Orleans.Proxy.RateLimiting;
using Orleans.Proxy.Routing;
using Orleans.Proxy.Translation.Annotations;

namespace Orleans.Proxy.UnitTests.Translation.Annotations;

public sealed class AnnotationTypesTests
{
    [Theory]
    [InlineData("X-Env", true)]
    [InlineData("session_id", true)]
    [InlineData("X Env", false)]
    [InlineData("X:Env", false)]
    public void Token_Name_MatchesRfc9110Tokens(string name, bool expected) =>
        Assert.Equal(expected, AnnotationTypes.Token().IsMatch(name));

    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("10s", 10_000)]
    [InlineData("1.5", 1_500)]
    [InlineData("5m", 300_000)]
    [InlineData("1h", 3_600_000)]
    public void ParseDuration_UnitOrPlainSeconds_Milliseconds(string text, double milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), AnnotationTypes.ParseDuration(text));

    [Theory]
    [InlineData("10")]
    [InlineData("10d")]
    public void Duration_OutOfRangeOrUnknownUnit_Fails(string text) =>
        Assert.False(AnnotationTypes.Duration(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5)).Parse(text).Ok);

    [Theory]
    [InlineData("0", 0L)]
    [InlineData("512k", 512L << 10)]
    [InlineData("8M", 8L << 20)]
    [InlineData("1g", 1L << 30)]
    public void Size_NginxSyntax_Bytes(string text, long bytes) =>
        Assert.Equal(bytes, AnnotationTypes.Size.Parse(text).Value);

    [Fact]
    public void Networks_AddressesAndRanges_NormalizedToCidr() =>
        Assert.Equal(["10.0.0.0/8", "192.168.1.7/32", "::1/128"], AnnotationTypes.Networks.Parse("10.0.0.0/8, 192.168.1.7, ::1").Value.ToArray());

    [Fact]
    public void HeaderPairs_BadItem_FailsNamingTheItem()
    {
        var parsed = AnnotationTypes.HeaderPairs.Parse("X-Env=canary, novalue");

        Assert.Equal((false, "novalue"), (parsed.Ok, parsed.Offending));
    }

    [Theory]
    [InlineData("$remote_addr", AffinityMode.ClientIp, "")]
    [InlineData("$binary_remote_addr", AffinityMode.ClientIp, "")]
    [InlineData("$http_x_user", AffinityMode.Header, "x-user")]
    [InlineData("$cookie_session", AffinityMode.Cookie, "session")]
    public void HashBy_OneVariable_AffinityKey(string text, AffinityMode mode, string name) =>
        Assert.Equal((mode, name), AnnotationTypes.HashBy.Parse(text).Value);

    [Fact]
    public void HashBy_Combination_Fails() => Assert.False(AnnotationTypes.HashBy.Parse("$request_uri$host").Ok);

    [Theory]
    [InlineData("Client-IP", RateLimitKeyKind.ClientIp, null)]
    [InlineData("route", RateLimitKeyKind.Route, null)]
    [InlineData("header: X-Api-Key", RateLimitKeyKind.Header, "X-Api-Key")]
    public void RateLimitKey_Kinds_Parsed(string text, RateLimitKeyKind kind, string? header) =>
        Assert.Equal((kind, header), AnnotationTypes.RateLimitKey.Parse(text).Value);

    [Theory]
    [InlineData("grpcs", BackendProtocol.Grpcs)]
    [InlineData("H2C", BackendProtocol.H2c)]
    public void Protocol_AnyCase_Parsed(string text, BackendProtocol protocol) =>
        Assert.Equal(protocol, AnnotationTypes.Protocol.Parse(text).Value);

    [Theory]
    [InlineData(500, "500ms")]
    [InlineData(10_000, "10s")]
    [InlineData(1_800_000, "30m")]
    [InlineData(2_592_000_000, "30d")]
    public void DurationText_Value_ShortestUnit(double milliseconds, string text) =>
        Assert.Equal(text, AnnotationTypes.DurationText(TimeSpan.FromMilliseconds(milliseconds)));
}
