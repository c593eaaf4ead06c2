using System.Text.RegularExpressions;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.Edge.Matching;

/// <summary>A header or query condition: the whole value, exactly (ordinal), or a regex that must match all of it.</summary>
internal readonly struct ValueCondition
{
    private readonly string _value;
    private readonly Regex? _regex;

    public ValueCondition(string name, string value, ValueMatchKind kind)
    {
        Name = name;
        _value = value;
        _regex = kind == ValueMatchKind.RegularExpression ? UserRegex.WholeValue(value) : null;
    }

    public string Name { get; }

    public bool Accepts(ReadOnlySpan<char> value) => _regex is null ? value.SequenceEqual(_value) : _regex.IsMatch(value);
}

/// <summary>Regexes written by route authors: run without backtracking, so no input can make one slow.</summary>
internal static class UserRegex
{
    private const RegexOptions Options = RegexOptions.NonBacktracking | RegexOptions.CultureInvariant;

    /// <summary>Matches nothing: what a pattern that does not compile becomes.</summary>
    private static readonly Regex Never = new(@"[^\s\S]", Options);

    /// <summary>
    /// A regex that must match the whole value. A pattern that does not compile (or uses what the
    /// non-backtracking engine lacks: backreferences, lookarounds) matches nothing, so its route is
    /// passed over rather than failing the host's table; the route source is the one to reject it.
    /// </summary>
    public static Regex WholeValue(string pattern)
    {
        try
        {
            // Compiled alone first: "a)|(b" is invalid, but wrapped it would parse as two alternatives.
            _ = new Regex(pattern, Options);
            return new Regex($@"\A(?:{pattern})\z", Options);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            return Never;
        }
    }
}
