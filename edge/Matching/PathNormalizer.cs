using System.Buffers;
using System.Text;

namespace Orleans.Proxy.Edge.Matching;

/// <summary>A request path as the edge matches and forwards it, or why it was refused (400).</summary>
/// <param name="Path">The normalized path: what the backend receives.</param>
/// <param name="MatchPath">What routes are matched against: <see cref="Path"/>, without path parameters when they are ignored for matching.</param>
internal readonly record struct NormalizedPath(string Path, string MatchPath, string? Error)
{
    public bool IsValid => Error is null;

    public static NormalizedPath Invalid(string error) => new(string.Empty, string.Empty, error);
}

/// <summary>
/// Normalizes the raw request path (as the client sent it, still percent-encoded) the way Envoy's
/// normalize_path does, per RFC 3986: percent-encoded unreserved characters are decoded and other
/// escapes get upper-case hex (6.2.2.1, 6.2.2.2), '\' is '/', characters a path may not hold are
/// percent-encoded (UTF-8), adjacent slashes are merged, and dot segments are removed (5.2.4).
/// Escaped slashes and ';' follow <see cref="MatchingOptions"/>. Malformed escapes and NUL are refused.
/// The result is ASCII and only holds characters a URI path may hold, so nothing downstream
/// (System.Uri, the backend's parser) reads it differently. Pure: no I/O, no state.
/// </summary>
internal static class PathNormalizer
{
    // RFC 3986: pchar = unreserved / pct-encoded / sub-delims / ":" / "@"; plus '/' between segments.
    private static readonly SearchValues<char> PathChars =
        SearchValues.Create("!$&'()*+,-./0123456789:;=@ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~");

    private static bool IsUnreserved(int c) =>
        c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '.' or '_' or '~';

    /// <summary>The path of a raw request target: origin-form ("/a?b"), or absolute-form ("http://host/a?b").</summary>
    public static string? PathOfTarget(string? rawTarget)
    {
        if (string.IsNullOrEmpty(rawTarget))
        {
            return null;
        }

        var target = rawTarget.AsSpan();
        if (target[0] != '/')
        {
            var scheme = target.IndexOf("://", StringComparison.Ordinal);
            if (scheme <= 0)
            {
                // Asterisk-form ("OPTIONS *") or garbage: not a path.
                return null;
            }

            var authorityEnd = target[(scheme + 3)..].IndexOfAny('/', '?');
            if (authorityEnd < 0 || target[scheme + 3 + authorityEnd] == '?')
            {
                return "/";
            }

            target = target[(scheme + 3 + authorityEnd)..];
        }

        var query = target.IndexOfAny('?', '#');
        return (query < 0 ? target : target[..query]).ToString();
    }

    public static NormalizedPath Normalize(string rawPath, MatchingOptions options)
    {
        if (rawPath.Length == 0 || rawPath[0] is not ('/' or '\\'))
        {
            return NormalizedPath.Invalid("the path does not start with '/'");
        }

        string path;
        if (IsCanonical(rawPath, options.MergeSlashes))
        {
            // The common case: nothing to decode, encode, merge or remove; no allocation.
            path = rawPath;
        }
        else
        {
            var decoded = Canonicalize(rawPath, options.EscapedSlashes, out var error);
            if (error is not null)
            {
                return NormalizedPath.Invalid(error);
            }

            path = RemoveDotSegments(decoded!, options.MergeSlashes, stripParameters: false);
        }

        if (!path.Contains(';', StringComparison.Ordinal))
        {
            return new NormalizedPath(path, path, null);
        }

        return options.PathParameters switch
        {
            PathParameterAction.Reject => NormalizedPath.Invalid("the path holds ';' (path parameters are refused by Matching:PathParameters)"),
            PathParameterAction.Literal => new NormalizedPath(path, path, null),
            _ => new NormalizedPath(path, RemoveDotSegments(path, options.MergeSlashes, stripParameters: true), null),
        };
    }

    /// <summary>Percent-encodes what a path may not hold (for a path built from a rewrite template); leaves valid escapes alone.</summary>
    public static string EscapeInvalid(string path)
    {
        var i = path.AsSpan().IndexOfAnyExcept(PathChars);
        while (i >= 0 && path[i] == '%' && IsEscape(path, i))
        {
            var next = path.AsSpan(i + 3).IndexOfAnyExcept(PathChars);
            i = next < 0 ? -1 : i + 3 + next;
        }

        if (i < 0)
        {
            return path;
        }

        var result = new StringBuilder(path.Length + 16).Append(path, 0, i);
        for (; i < path.Length; i++)
        {
            var c = path[i];
            if (PathChars.Contains(c) || (c == '%' && IsEscape(path, i)))
            {
                result.Append(c);
            }
            else
            {
                i = AppendEncoded(result, path, i);
            }
        }

        return result.ToString();
    }

    private static bool IsEscape(string s, int i) => i + 2 < s.Length && char.IsAsciiHexDigit(s[i + 1]) && char.IsAsciiHexDigit(s[i + 2]);

    /// <summary>True when normalization would return the path unchanged.</summary>
    private static bool IsCanonical(string path, bool mergeSlashes)
    {
        if (path.AsSpan().IndexOfAnyExcept(PathChars) >= 0)
        {
            // '%', '\', or a character to encode.
            return false;
        }

        if (mergeSlashes && path.Contains("//", StringComparison.Ordinal))
        {
            return false;
        }

        // A "." or ".." segment starts right after a '/'.
        for (var i = path.IndexOf("/.", StringComparison.Ordinal); i >= 0; i = path.IndexOf("/.", i + 1, StringComparison.Ordinal))
        {
            var end = path.IndexOf('/', i + 1);
            var segment = path.AsSpan(i + 1, (end < 0 ? path.Length : end) - i - 1);
            if (segment is "." or "..")
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Decoding and encoding (RFC 3986 6.2.2.1-2), '\' to '/', escaped slashes per the option.</summary>
    private static string? Canonicalize(string raw, EscapedSlashAction escapedSlashes, out string? error)
    {
        error = null;
        var result = new StringBuilder(raw.Length);
        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            if (c == '%')
            {
                if (!IsEscape(raw, i))
                {
                    error = "the path holds a '%' that does not start a %XX escape";
                    return null;
                }

                var value = (HexValue(raw[i + 1]) << 4) | HexValue(raw[i + 2]);
                i += 2;
                if (value == 0)
                {
                    error = "the path holds an escaped NUL (%00)";
                    return null;
                }

                if (IsUnreserved(value))
                {
                    result.Append((char)value);
                }
                else if (value is '/' or '\\')
                {
                    switch (escapedSlashes)
                    {
                        case EscapedSlashAction.Reject:
                            error = "the path holds an escaped slash (%2F or %5C), refused by Matching:EscapedSlashes";
                            return null;
                        case EscapedSlashAction.Unescape:
                            result.Append('/');
                            break;
                        default:
                            AppendEscape(result, value);
                            break;
                    }
                }
                else
                {
                    AppendEscape(result, value);
                }
            }
            else if (c == '\\')
            {
                // Browsers and System.Uri both read '\' as '/': so does matching, and so does the backend.
                result.Append('/');
            }
            else if (PathChars.Contains(c))
            {
                result.Append(c);
            }
            else if (c == '\0')
            {
                error = "the path holds a NUL character";
                return null;
            }
            else
            {
                i = AppendEncoded(result, raw, i);
            }
        }

        return result.ToString();
    }

    /// <summary>Appends the UTF-8 escapes of the character (or surrogate pair) at <paramref name="i"/>; returns the index of its last char.</summary>
    private static int AppendEncoded(StringBuilder result, string s, int i)
    {
        var length = char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]) ? 2 : 1;
        Span<byte> bytes = stackalloc byte[8];
        var count = Encoding.UTF8.GetBytes(s.AsSpan(i, length), bytes);
        foreach (var b in bytes[..count])
        {
            AppendEscape(result, b);
        }

        return i + length - 1;
    }

    private static void AppendEscape(StringBuilder result, int value) =>
        result.Append('%').Append("0123456789ABCDEF"[value >> 4]).Append("0123456789ABCDEF"[value & 0xF]);

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

    /// <summary>
    /// RFC 3986 5.2.4 over '/'-separated elements, merging empty elements when asked; with
    /// <paramref name="stripParameters"/>, each element first loses everything from its first ';'.
    /// </summary>
    private static string RemoveDotSegments(string path, bool mergeSlashes, bool stripParameters)
    {
        var output = new List<(int Start, int Length)>();
        var trailingSlash = false;
        var start = 1;
        while (start <= path.Length)
        {
            var end = path.IndexOf('/', start);
            if (end < 0)
            {
                end = path.Length;
            }

            var length = end - start;
            if (stripParameters && path.AsSpan(start, length).IndexOf(';') is var semicolon and >= 0)
            {
                length = semicolon;
            }

            var segment = path.AsSpan(start, length);
            var last = end == path.Length;
            if (segment is ".")
            {
                trailingSlash = true;
            }
            else if (segment is "..")
            {
                if (output.Count > 0)
                {
                    output.RemoveAt(output.Count - 1);
                }

                trailingSlash = true;
            }
            else if (segment.Length == 0 && (mergeSlashes || last))
            {
                // An empty last element is the trailing slash itself.
                trailingSlash = last || trailingSlash;
            }
            else
            {
                output.Add((start, length));
                trailingSlash = false;
            }

            start = end + 1;
        }

        var result = new StringBuilder(path.Length).Append('/');
        for (var i = 0; i < output.Count; i++)
        {
            if (i > 0)
            {
                result.Append('/');
            }

            result.Append(path, output[i].Start, output[i].Length);
        }

        if (trailingSlash && output.Count > 0)
        {
            result.Append('/');
        }

        return result.ToString();
    }
}
