using Microsoft.AspNetCore.Http;
using Orleans.Proxy.Edge.Matching;

namespace Orleans.Proxy.UnitTests.Matching;

public sealed class PathNormalizerTests
{
    private static readonly MatchingOptions Defaults = new();

    private static string Path(string raw, MatchingOptions? options = null)
    {
        var result = PathNormalizer.Normalize(raw, options ?? Defaults);
        Assert.True(result.IsValid, result.Error);
        return result.Path;
    }

    private static string MatchPath(string raw, MatchingOptions? options = null)
    {
        var result = PathNormalizer.Normalize(raw, options ?? Defaults);
        Assert.True(result.IsValid, result.Error);
        return result.MatchPath;
    }

    [Fact]
    public void Normalize_CanonicalPath_ReturnsTheSameString()
    {
        const string raw = "/api/v1/orders;x=1/~me";

        Assert.Same(raw, PathNormalizer.Normalize(raw, new MatchingOptions { PathParameters = PathParameterAction.Literal }).Path);
    }

    [Theory]
    [InlineData("/x/../admin", "/admin")]
    [InlineData("/./admin", "/admin")]
    [InlineData("/a/b/..", "/a/")]
    [InlineData("/a/b/.", "/a/b/")]
    [InlineData("/..", "/")]
    [InlineData("/../../admin", "/admin")]
    [InlineData("/%2e%2E/admin", "/admin")]
    [InlineData("/x/%2e./admin", "/admin")]
    [InlineData("/a/..b/.c", "/a/..b/.c")]
    public void Normalize_DotSegments_RemovedAsRfc3986Says(string raw, string expected) => Assert.Equal(expected, Path(raw));

    [Theory]
    [InlineData("//admin", "/admin")]
    [InlineData("/a//b///c/", "/a/b/c/")]
    [InlineData("/a//", "/a/")]
    [InlineData("//", "/")]
    public void Normalize_AdjacentSlashes_Merged(string raw, string expected) => Assert.Equal(expected, Path(raw));

    [Fact]
    public void Normalize_MergeSlashesOff_KeepsEmptyElements() =>
        Assert.Equal("//admin//x/", Path("//admin//x/", new MatchingOptions { MergeSlashes = false }));

    [Theory]
    [InlineData("/%61dmin", "/admin")]
    [InlineData("/%41%42%7e%2D%5f%2e", "/AB~-_.")]
    [InlineData("/%7Euser", "/~user")]
    public void Normalize_EscapedUnreservedCharacters_Decoded(string raw, string expected) => Assert.Equal(expected, Path(raw));

    [Theory]
    [InlineData("/a%3bb", "/a%3Bb")]
    [InlineData("/a%25b", "/a%25b")]
    [InlineData("/caf%c3%a9", "/caf%C3%A9")]
    [InlineData("/a%20b", "/a%20b")]
    public void Normalize_OtherEscapes_KeptWithUpperCaseHex(string raw, string expected) => Assert.Equal(expected, Path(raw));

    [Theory]
    [InlineData("/admin%2f..", "/admin%2F..")]
    [InlineData("/a%2Fb/%5c", "/a%2Fb/%5C")]
    public void Normalize_EscapedSlashesKept_AreNotSeparators(string raw, string expected) => Assert.Equal(expected, Path(raw));

    [Fact]
    public void Normalize_EscapedSlashesRejected_Refused()
    {
        var options = new MatchingOptions { EscapedSlashes = EscapedSlashAction.Reject };

        Assert.False(PathNormalizer.Normalize("/admin%2f", options).IsValid);
        Assert.False(PathNormalizer.Normalize("/admin%5C", options).IsValid);
        Assert.Equal("/admin/", Path("/admin/", options));
    }

    [Theory]
    [InlineData("/admin%2f..", "/")]
    [InlineData("/a%2fb", "/a/b")]
    [InlineData("/a%5cb", "/a/b")]
    [InlineData("/public%2F..%2Fadmin", "/admin")]
    public void Normalize_EscapedSlashesUnescaped_DecodedThenNormalized(string raw, string expected) =>
        Assert.Equal(expected, Path(raw, new MatchingOptions { EscapedSlashes = EscapedSlashAction.Unescape }));

    [Theory]
    [InlineData("/a\\b", "/a/b")]
    [InlineData("\\admin", "/admin")]
    [InlineData("/x\\..\\admin", "/admin")]
    public void Normalize_Backslash_IsASlash(string raw, string expected) => Assert.Equal(expected, Path(raw));

    [Theory]
    [InlineData("/a b", "/a%20b")]
    [InlineData("/café", "/caf%C3%A9")]
    [InlineData("/\"x\"", "/%22x%22")]
    [InlineData("/{x}", "/%7Bx%7D")]
    [InlineData("/😀", "/%F0%9F%98%80")]
    public void Normalize_CharactersAPathMayNotHold_PercentEncodedAsUtf8(string raw, string expected) => Assert.Equal(expected, Path(raw));

    [Theory]
    [InlineData("/a%zz")]
    [InlineData("/a%4")]
    [InlineData("/a%")]
    [InlineData("/a%00b")]
    [InlineData("/a\0b")]
    [InlineData("admin")]
    [InlineData("")]
    public void Normalize_MalformedPath_Refused(string raw) => Assert.False(PathNormalizer.Normalize(raw, Defaults).IsValid);

    [Theory]
    [InlineData("/admin;x", "/admin;x", "/admin")]
    [InlineData("/admin;x/", "/admin;x/", "/admin/")]
    [InlineData("/public/..;/admin", "/public/..;/admin", "/admin")]
    [InlineData("/;x/admin", "/;x/admin", "/admin")]
    [InlineData("/a;b=1/c;d", "/a;b=1/c;d", "/a/c")]
    public void Normalize_PathParameters_IgnoredForMatchingAndForwarded(string raw, string path, string matchPath)
    {
        Assert.Equal(path, Path(raw));
        Assert.Equal(matchPath, MatchPath(raw));
    }

    [Fact]
    public void Normalize_PathParametersLiteral_AreOrdinaryCharacters() =>
        Assert.Equal("/public/..;/admin", MatchPath("/public/..;/admin", new MatchingOptions { PathParameters = PathParameterAction.Literal }));

    [Fact]
    public void Normalize_PathParametersRejected_Refused() =>
        Assert.False(PathNormalizer.Normalize("/admin;x", new MatchingOptions { PathParameters = PathParameterAction.Reject }).IsValid);

    [Theory]
    [InlineData("/a/b?c=d", "/a/b")]
    [InlineData("/", "/")]
    [InlineData("http://host.test:8080/a%2Fb?x", "/a%2Fb")]
    [InlineData("http://host.test", "/")]
    [InlineData("http://host.test?x", "/")]
    [InlineData("*", null)]
    public void PathOfTarget_OriginAndAbsoluteForm_ThePath(string target, string? expected) =>
        Assert.Equal(expected, PathNormalizer.PathOfTarget(target));

    /// <summary>The guarantee: what the edge matched is what the backend receives, System.Uri changing nothing.</summary>
    [Theory]
    [InlineData("/admin%2F..")]
    [InlineData("/a%2Fb%5C/c")]
    [InlineData("/a%25b%3Bc")]
    [InlineData("/public/..;/admin")]
    [InlineData("/caf%C3%A9/%20/%22")]
    [InlineData("/a;b=1/!$&'()*+,=:@")]
    [InlineData("/")]
    public void DestinationUri_NormalizedPath_SentByteForByte(string path)
    {
        Assert.Equal(path, Path(path, new MatchingOptions { PathParameters = PathParameterAction.Literal }));

        var uri = ForwardedPathTransformProvider.DestinationUri("http://127.0.0.1:8080/", path, new QueryString("?q=%2F"));

        Assert.Equal(path + "?q=%2F", uri.PathAndQuery);
        Assert.Equal(path + "?q=%2F", uri.GetComponents(UriComponents.PathAndQuery, UriFormat.UriEscaped));
    }

    [Theory]
    [InlineData("/a b/%2F", "/a%20b/%2F")]
    [InlineData("/new/é", "/new/%C3%A9")]
    [InlineData("/100%", "/100%25")]
    public void EscapeInvalid_RewriteResult_EncodesOnlyWhatAPathMayNotHold(string path, string expected) =>
        Assert.Equal(expected, PathNormalizer.EscapeInvalid(path));
}
