using System.Text.Json;
using Orleans.Proxy.Edge.Diagnostics;

namespace Orleans.Proxy.Edge.Caching;

/// <summary>"diag cache" and "diag purge": the cache's diagnostics as tables.</summary>
internal static class CacheCommands
{
    /// <summary>The purge endpoint's query for "purge url U", "purge prefix H P", "purge tag T" or "purge all"; null otherwise.</summary>
    public static string? PurgeQuery(IReadOnlyList<string> what) => what switch
    {
        ["url", var url] => $"url={Uri.EscapeDataString(url)}",
        ["prefix", var host, var path] => $"host={Uri.EscapeDataString(host)}&prefix={Uri.EscapeDataString(path)}",
        ["tag", var tag] => $"tag={Uri.EscapeDataString(tag)}",
        ["all"] => "all=true",
        _ => null,
    };

    public static void PrintCache(TextWriter o, JsonElement json)
    {
        var memory = json.GetProperty("memory");
        o.WriteLine($"edge {S(json, "edgeId")}");
        TextTable.Write(o, ["TIER", "ENTRIES", "BYTES", "MAX BYTES", "HIT RATIO", "HITS", "MISSES", "STALE", "COLLAPSED", "REVALIDATED", "BYPASS", "EVICTIONS"],
        [
            ["memory", S(memory, "entries"), S(memory, "bytes"), S(memory, "maxBytes"), S(memory, "hitRatio"), S(memory, "hits"), S(memory, "misses"),
                S(memory, "stale"), S(memory, "collapsed"), S(memory, "revalidated"), S(memory, "bypass"), S(memory, "evictions")],
        ]);
        if (json.TryGetProperty("shared", out var shared) && shared.ValueKind == JsonValueKind.Object)
        {
            if (shared.TryGetProperty("error", out var error))
            {
                o.WriteLine($"shared tier: {TextTable.Format(error)}");
            }
            else
            {
                TextTable.Write(o, ["TIER", "ENTRIES", "BYTES", "MAX BYTES", "HIT RATIO", "HITS", "MISSES", "COLLAPSED", "EVICTIONS", "FILLING"],
                [
                    ["shared", S(shared, "entries"), S(shared, "bytes"), S(shared, "maxBytes"), S(shared, "hitRatio"), S(shared, "hits"), S(shared, "misses"),
                        S(shared, "collapsed"), S(shared, "evictions"), S(shared, "fillsInProgress")],
                ]);
            }
        }

        o.WriteLine();
        TextTable.Write(o, ["KEY", "STATUS", "BYTES", "AGE", "TTL", "FRESH", "TAGS"],
            json.GetProperty("entries").EnumerateArray().Select(e => (IReadOnlyList<string>)
                [S(e, "key").Replace('\n', ' '), S(e, "status"), S(e, "bytes"), S(e, "ageSeconds") + "s", S(e, "ttlSeconds") + "s", S(e, "fresh"),
                    string.Join(' ', e.GetProperty("tags").EnumerateArray().Select(t => t.GetString()))]));
    }

    public static void PrintPurge(TextWriter o, JsonElement json)
    {
        o.WriteLine($"purged {S(json, "purge")} (purge {S(json, "sequence")}): {S(json, "sharedEntriesDropped")} responses dropped from the shared tier");
        o.WriteLine($"applied by: {string.Join(", ", json.GetProperty("edgesApplied").EnumerateArray().Select(e => e.GetString()))}");
        var pending = json.GetProperty("edgesPending").EnumerateArray().Select(e => e.GetString()).ToList();
        if (pending.Count > 0)
        {
            o.WriteLine($"not yet applied by: {string.Join(", ", pending)}");
        }
    }

    private static string S(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? TextTable.Format(v) : "-";
}
