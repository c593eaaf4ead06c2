using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Orleans.Proxy.Edge.Hosting;

/// <summary>
/// HTTP/1.1 framing the edge refuses although Kestrel would read it, because a proxy in front of the edge may read it
/// otherwise (request smuggling): a request with both Transfer-Encoding and Content-Length, and lines ended by a bare LF.
/// </summary>
internal static class RequestFraming
{
    /// <summary>Kestrel's switch: lines must end in CRLF (RFC 9112 lets a server accept a bare LF; a proxy in front may not).</summary>
    private const string RefuseBareLineFeedsSwitch = "Microsoft.AspNetCore.Server.Kestrel.DisableHttp1LineFeedTerminators";

    /// <summary>Kestrel moves a Content-Length that came with Transfer-Encoding to this header (and closes the connection after the response).</summary>
    private const string MovedContentLength = "X-Content-Length";

    /// <summary>Process-wide (Kestrel reads it when it creates its parser); set before the server starts.</summary>
    public static void RefuseBareLineFeeds() => AppContext.SetSwitch(RefuseBareLineFeedsSwitch, true);

    /// <summary>Answers 400, and closes the connection, when a request says its length twice.</summary>
    public static IApplicationBuilder UseStrictRequestFraming(this IApplicationBuilder app) => app.Use(next => context =>
    {
        var headers = context.Request.Headers;
        if (headers.ContainsKey(HeaderNames.TransferEncoding) && (headers.ContainsKey(HeaderNames.ContentLength) || headers.ContainsKey(MovedContentLength)))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            context.Response.Headers.Connection = "close";
            return Task.CompletedTask;
        }

        return next(context);
    });
}
