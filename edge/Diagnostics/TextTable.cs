using System.Globalization;
using System.Text.Json;

namespace Orleans.Proxy.Edge.Diagnostics;

/// <summary>Aligned plain-text tables for the diag command.</summary>
internal static class TextTable
{
    public static void Write(TextWriter output, IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = rows.ToList();
        var widths = headers.Select((h, i) => Math.Max(h.Length, all.Count == 0 ? 0 : all.Max(r => i < r.Count ? r[i].Length : 0))).ToArray();
        WriteRow(output, headers, widths);
        foreach (var row in all)
        {
            WriteRow(output, row, widths);
        }

        if (all.Count == 0)
        {
            output.WriteLine("(none)");
        }
    }

    /// <summary>An array of flat objects (a feature's section or view): one column per property name, in order of appearance.</summary>
    public static void WriteObjects(TextWriter output, JsonElement array)
    {
        var items = array.ValueKind == JsonValueKind.Array ? array.EnumerateArray().ToList() : [];
        var columns = items.Where(i => i.ValueKind == JsonValueKind.Object).SelectMany(i => i.EnumerateObject().Select(p => p.Name)).Distinct(StringComparer.Ordinal).ToList();
        Write(output, [.. columns.Select(c => c.ToUpperInvariant())],
            items.Select(i => (IReadOnlyList<string>)[.. columns.Select(c => i.ValueKind == JsonValueKind.Object && i.TryGetProperty(c, out var v) ? Format(v) : "-")]));
    }

    public static string Format(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => "-",
        JsonValueKind.True => "yes",
        JsonValueKind.False => "no",
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.Array => value.GetArrayLength() == 0 ? "-" : string.Join(", ", value.EnumerateArray().Select(Format)),
        JsonValueKind.String when value.TryGetDateTimeOffset(out var time) && value.GetString()!.Contains('T', StringComparison.Ordinal)
            => time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        JsonValueKind.String => value.GetString() is { Length: > 0 } s ? s : "-",
        _ => value.GetRawText(),
    };

    private static void WriteRow(TextWriter output, IReadOnlyList<string> cells, int[] widths)
    {
        for (var i = 0; i < widths.Length; i++)
        {
            var cell = i < cells.Count ? cells[i] : "";
            output.Write(i == widths.Length - 1 ? cell : cell.PadRight(widths[i] + 2));
        }

        output.WriteLine();
    }
}
