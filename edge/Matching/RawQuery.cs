namespace Orleans.Proxy.Edge.Matching;

/// <summary>
/// Query parameters read from the raw query string by their exact name, as Gateway API requires:
/// ASP.NET Core's request.Query folds case ("?ID=1" answers for "id") and merges such names.
/// </summary>
internal static class RawQuery
{
    /// <summary>Names and values up to this length are decoded on the stack; longer ones allocate.</summary>
    private const int StackChars = 256;

    /// <summary>
    /// Whether the first parameter with the condition's name has a value it accepts. Only the first
    /// counts, as Gateway API recommends for a repeated parameter. Both are compared decoded ('+' is a space).
    /// </summary>
    public static bool FirstValueAccepted(string? query, in ValueCondition condition)
    {
        var rest = query.AsSpan();
        if (rest.StartsWith('?'))
        {
            rest = rest[1..];
        }

        Span<char> scratch = stackalloc char[StackChars * 2];
        while (!rest.IsEmpty)
        {
            var end = rest.IndexOf('&');
            var pair = end < 0 ? rest : rest[..end];
            rest = end < 0 ? [] : rest[(end + 1)..];
            var equals = pair.IndexOf('=');
            var name = equals < 0 ? pair : pair[..equals];
            if (Decode(name, scratch).SequenceEqual(condition.Name))
            {
                return condition.Accepts(Decode(equals < 0 ? [] : pair[(equals + 1)..], scratch));
            }
        }

        return false;
    }

    private static ReadOnlySpan<char> Decode(ReadOnlySpan<char> raw, Span<char> scratch)
    {
        if (raw.IndexOfAny('%', '+') < 0)
        {
            return raw;
        }

        if (raw.Length > StackChars)
        {
            return Uri.UnescapeDataString(raw.ToString().Replace('+', ' '));
        }

        var spaced = scratch[..raw.Length];
        raw.CopyTo(spaced);
        spaced.Replace('+', ' ');
        var decoded = scratch[StackChars..];
        return Uri.TryUnescapeDataString(spaced, decoded, out var written) ? decoded[..written] : spaced;
    }
}
