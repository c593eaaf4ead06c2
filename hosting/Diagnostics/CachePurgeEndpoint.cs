using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Orleans.Proxy.Caching;

namespace Orleans.Proxy.Hosting.Diagnostics;

/// <summary>
/// POST /diag/cluster/cache/purge on any diagnostics port (a silo's or an edge's): drops from the
/// shared tier and from every edge's memory tier one URL (?url=http://host/path?query), a host's
/// path prefix (?host=H&amp;prefix=/p), a tag (?tag=T, from Surrogate-Key or Cache-Tag) or everything
/// (?all=true). It answers once every live edge applied it, or after ?waitMs= (default 2000), naming
/// the edges that had not.
/// </summary>
internal static class CachePurgeEndpoint
{
    public static void MapCachePurge(this IEndpointRouteBuilder cluster) =>
        cluster.MapPost("/cache/purge", async (HttpRequest request, IGrainFactory grains) =>
        {
            if (Read(request.Query, out var error) is not { } purge)
            {
                return Results.BadRequest(new { error });
            }

            var wait = int.TryParse(request.Query["waitMs"], NumberStyles.None, CultureInfo.InvariantCulture, out var ms) ? Math.Min(ms, 10_000) : 2000;
            var result = await grains.GetGrain<ICachePurgeGrain>(ICachePurgeGrain.DefaultKey).Purge(purge, TimeSpan.FromMilliseconds(wait));
            return Results.Ok(new
            {
                purge = purge.ToString(),
                result.Sequence,
                result.SharedEntriesDropped,
                result.EdgesApplied,
                result.EdgesPending,
            });
        });

    internal static CachePurge? Read(IQueryCollection query, out string error)
    {
        error = string.Empty;
        if (query["url"].ToString() is { Length: > 0 } url)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                error = $"url '{url}' is not an absolute http(s) URL (e.g. https://shop.example/index.html)";
                return null;
            }

            // Paths are compared decoded, as the edge reads them; the query as sent.
            return new CachePurge(CachePurgeKind.Url, uri.Host.ToLowerInvariant(), Uri.UnescapeDataString(uri.AbsolutePath) + uri.Query);
        }

        if (query["prefix"].ToString() is { Length: > 0 } prefix)
        {
            var host = query["host"].ToString();
            if (host.Length == 0 || !prefix.StartsWith('/'))
            {
                error = "a prefix purge needs ?host=NAME&prefix=/path";
                return null;
            }

            return new CachePurge(CachePurgeKind.Prefix, host.ToLowerInvariant(), prefix);
        }

        if (query["tag"].ToString() is { Length: > 0 } tag)
        {
            return new CachePurge(CachePurgeKind.Tag, string.Empty, tag);
        }

        if (query["all"] == "true")
        {
            return new CachePurge(CachePurgeKind.All, string.Empty, string.Empty);
        }

        error = "say what to purge: ?url=..., ?host=...&prefix=/..., ?tag=... or ?all=true";
        return null;
    }
}
