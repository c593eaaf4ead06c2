using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.Translation.Ingress;

/// <summary>
/// Rejections quote what they refuse, and go to logs, Events and terminals (the diag command): control characters are
/// written as \uXXXX escapes (a quoted ESC or CR/LF must not reach a terminal or split a log line) and long texts are cut.
/// </summary>
internal static class PrintableRejections
{
    private const int MaxLength = 1024;

    public static ImmutableArray<Rejection> Of(IEnumerable<Rejection> rejections) => [.. rejections.Select(Printable)];

    private static Rejection Printable(Rejection rejection)
    {
        var (o, f, r) = (Escape(rejection.Object), Escape(rejection.Field), Escape(rejection.Reason));
        return ReferenceEquals(o, rejection.Object) && ReferenceEquals(f, rejection.Field) && ReferenceEquals(r, rejection.Reason) ? rejection : new Rejection(o, f, r);
    }

    private static string Escape(string text)
    {
        if (text.Length <= MaxLength && !text.Any(IsControl))
        {
            return text;
        }

        var escaped = new StringBuilder(Math.Min(text.Length, MaxLength) + 16);
        foreach (var c in text)
        {
            if (escaped.Length >= MaxLength)
            {
                return escaped.Append("...").ToString();
            }

            _ = IsControl(c) ? escaped.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}") : escaped.Append(c);
        }

        return escaped.ToString();
    }

    private static bool IsControl(char c) => char.IsControl(c) || c is '\u2028' or '\u2029';
}
