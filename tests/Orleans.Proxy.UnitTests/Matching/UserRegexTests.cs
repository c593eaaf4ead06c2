using System.Text.RegularExpressions;
using Orleans.Proxy.Edge.Matching;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.UnitTests.Matching;

/// <summary>Regexes from Ingresses never run with unbounded backtracking at the edge.</summary>
public sealed class UserRegexTests
{
    private static readonly TimeSpan StallGuard = TimeSpan.FromSeconds(60);

    /// <summary>Each is exponential or polynomial under a backtracking engine on the paths below.</summary>
    public static TheoryData<string> Catastrophic() =>
    [
        "^/(a+)+$", "^/(a|a)+$", "^/(a|aa)+$", "^/(.*a){12}", "^/((a+)+)+$", "^/(\\w+\\s?)+$", "^/([a-zA-Z]+)*$", "^/(a*)*b", "^/(x+x+)+y", "^/(?:a?){25}a{25}",
    ];

    private static IEnumerable<string> HostilePaths()
    {
        foreach (var length in new[] { 25, 30, 1_000, 8_000 })
        {
            yield return "/" + new string('a', length) + "!";
            yield return "/" + new string('x', length);
            yield return "/" + string.Concat(Enumerable.Repeat("a ", length / 2)) + "!";
        }
    }

    private static CompiledRoute Route(string regex, string? rewriteTarget = null) =>
        new(new RouteSpec("r", "h.test", "/", PathMatchKind.Prefix, [], [], "ns/s:80", "Ingress ns/r") { PathRegex = regex, RewriteTarget = rewriteTarget }, proxyRouteId: null, new MatchingOptions());

    [Theory]
    [MemberData(nameof(Catastrophic))]
    public void CompileUserRegex_CatastrophicPattern_RunsNonBacktracking(string pattern) =>
        Assert.True(CompiledRoute.CompileUserRegex(pattern).Options.HasFlag(RegexOptions.NonBacktracking));

    [Theory]
    [InlineData("^/(a+)\\1+$")]
    [InlineData("^/(?=(a+))\\1*b")]
    [InlineData("^/(?<=a+)b")]
    [InlineData("^/(?>a+)+b")]
    public void CompileUserRegex_NoNonBacktrackingForm_BacktracksWithMatchTimeout(string pattern)
    {
        var regex = CompiledRoute.CompileUserRegex(pattern);

        Assert.False(regex.Options.HasFlag(RegexOptions.NonBacktracking));
        Assert.Equal(TimeSpan.FromMilliseconds(100), regex.MatchTimeout);
    }

    [Theory]
    [MemberData(nameof(Catastrophic))]
    public async Task MatchesPath_CatastrophicPatternAndHostilePaths_EveryMatchReturns(string pattern)
    {
        var route = Route(pattern);
        var paths = HostilePaths().ToList();

        // The work counted is matches completed: every one returns, under a guard that fails a stall rather than timing it.
        var completed = await Task.Run(() => paths.Count(path => route.MatchesPath(path) || true)).WaitAsync(StallGuard);

        Assert.Equal(paths.Count, completed);
    }

    [Fact]
    public void MatchesPath_SamePatternBacktracking_WouldHoldTheCore()
    {
        // The witness that the input is hostile: the backtracking engine does not finish "(a+)+$" on 30 a's and a '!'
        // (2^30 paths) within the budget the edge gives; the edge's compiled form answers it.
        var backtracking = new Regex("^/(a+)+$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
        var path = "/" + new string('a', 30) + "!";

        Assert.Throws<RegexMatchTimeoutException>(() => backtracking.IsMatch(path));
        Assert.False(Route("^/(a+)+$").MatchesPath(path));
    }

    [Fact]
    public void ForwardedPath_NonBacktrackingRegex_StillFillsRewriteGroups()
    {
        var route = Route("^/something(/|$)(.*)", "/$2");

        Assert.True(route.PathRegex!.Options.HasFlag(RegexOptions.NonBacktracking));
        Assert.Equal("/new/x", route.ForwardedPath("/something/new/x", "/something/new/x"));
    }
}
