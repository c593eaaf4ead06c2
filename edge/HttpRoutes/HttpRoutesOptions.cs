using System.ComponentModel.DataAnnotations;

namespace Orleans.Proxy.Edge.HttpRoutes;

/// <summary>Section "HttpRoutes": limits of the RequestMirror filter (Gateway API HTTPRoute).</summary>
public sealed class HttpRoutesOptions
{
    public const string Section = "HttpRoutes";

    /// <summary>How long a mirrored request may take; it is then cancelled (its answer is discarded anyway).</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan MirrorTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Largest request body mirrored, in bytes: such a body is read into memory before the request is
    /// forwarded, so both copies can send it. A request with a larger body, or one of unknown length
    /// (chunked), is forwarded but not mirrored.
    /// </summary>
    [Range(0, 16 * 1024 * 1024)]
    public int MirrorBodyLimit { get; set; } = 64 * 1024;

    /// <summary>Mirrored requests in flight on this edge; past it requests are not mirrored, so a slow mirror cannot pile up work.</summary>
    [Range(1, 100_000)]
    public int MirrorsInFlight { get; set; } = 256;
}
