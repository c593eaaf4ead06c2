using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.Edge.Authentication;

/// <summary>The answer of an auth-url subrequest, as the request's step acts on it.</summary>
internal enum ExternalVerdict
{
    Allowed,
    Unauthorized,
    Forbidden,
    Failed,
}

/// <summary>
/// ingress-nginx's auth_request: one subrequest per request to the route's auth-url, without the
/// body, carrying the request's headers and where it was going (X-Original-URL, X-Original-Method,
/// X-Forwarded-*). Redirects are not followed; the subrequest is bounded by Authentication:ExternalTimeout.
/// </summary>
internal sealed partial class ExternalAuthenticator : IDisposable
{
    /// <summary>Headers of the request that are not passed on: the connection's own, and the body's (the subrequest has none).</summary>
    private static readonly HashSet<string> NotForwarded = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "TE", "Trailer", "Upgrade", "Expect",
        "Proxy-Authorization", "Proxy-Authenticate", "Content-Length", "Content-Type", "Content-Encoding", "Content-Language",
        "Content-Location", "Content-MD5", "Content-Range", "Content-Disposition",
    };

    private readonly HttpMessageInvoker _client;
    private readonly TimeSpan _timeout;
    private readonly ILogger _logger;

    public ExternalAuthenticator(IOptions<AuthenticationOptions> options, ILogger<ExternalAuthenticator> logger)
    {
        _timeout = options.Value.ExternalTimeout;
        _logger = logger;
        _client = new HttpMessageInvoker(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            ConnectTimeout = _timeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        });
    }

    /// <summary>Asks the auth service; on <see cref="ExternalVerdict.Allowed"/> the request carries the auth-response-headers.</summary>
    public async Task<(ExternalVerdict Verdict, string? Challenge)> AuthenticateAsync(HttpContext context, ExternalAuthSpec spec)
    {
        var request = context.Request;
        var requestUri = RequestUri(context);
        using var subrequest = new HttpRequestMessage(new HttpMethod(spec.Method), Expand(spec.Url, request, requestUri));
        foreach (var header in request.Headers)
        {
            if (!NotForwarded.Contains(header.Key))
            {
                subrequest.Headers.TryAddWithoutValidation(header.Key, (IEnumerable<string?>)header.Value);
            }
        }

        var client = context.Connection.RemoteIpAddress?.ToString() ?? "";
        Set(subrequest, "X-Original-URL", $"{request.Scheme}://{request.Host}{requestUri}");
        Set(subrequest, "X-Original-Method", request.Method);
        Set(subrequest, "X-Sent-From", "orleans-proxy");
        Set(subrequest, "X-Real-IP", client);
        Set(subrequest, "X-Forwarded-For", request.Headers["X-Forwarded-For"] is { Count: > 0 } forwarded ? $"{forwarded}, {client}" : client);
        Set(subrequest, "X-Forwarded-Host", request.Host.Value ?? "");
        Set(subrequest, "X-Forwarded-Proto", request.Scheme);
        Set(subrequest, "X-Auth-Request-Redirect", spec.RequestRedirect ?? requestUri);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(_timeout);
        try
        {
            using var response = await _client.SendAsync(subrequest, timeout.Token);
            var status = (int)response.StatusCode;
            if (status is >= 200 and < 300)
            {
                foreach (var name in spec.ResponseHeaders)
                {
                    // The client's own value never reaches the backend: only the auth service's, when it gave one.
                    request.Headers.Remove(name);
                    if (response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values))
                    {
                        request.Headers[name] = values.ToArray();
                    }
                }

                return (ExternalVerdict.Allowed, null);
            }

            switch (response.StatusCode)
            {
                case HttpStatusCode.Unauthorized:
                    return (ExternalVerdict.Unauthorized, response.Headers.WwwAuthenticate.ToString() is { Length: > 0 } challenge ? challenge : null);
                case HttpStatusCode.Forbidden:
                    return (ExternalVerdict.Forbidden, null);
                default:
                    LogUnexpectedStatus(spec.Url, status);
                    return (ExternalVerdict.Failed, null);
            }
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !context.RequestAborted.IsCancellationRequested)
        {
            LogFailed(e, spec.Url, _timeout);
            return (ExternalVerdict.Failed, null);
        }
    }

    /// <summary>auth-signin with its redirect parameter set to the original URL, unless the sign-in URL sets it itself.</summary>
    public static string SignInLocation(HttpContext context, ExternalAuthSpec spec)
    {
        var request = context.Request;
        var requestUri = RequestUri(context);
        var location = Expand(spec.SignIn!, request, requestUri);
        var query = Uri.TryCreate(location, UriKind.Absolute, out var uri) ? Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(uri.Query) : null;
        if (query?.ContainsKey(spec.RedirectParameter) == true)
        {
            return location;
        }

        return $"{location}{(location.Contains('?', StringComparison.Ordinal) ? '&' : '?')}{spec.RedirectParameter}={request.Scheme}://{request.Host}{Uri.EscapeDataString(requestUri)}";
    }

    public void Dispose() => _client.Dispose();

    /// <summary>nginx's $request_uri: the request target as the client sent it.</summary>
    private static string RequestUri(HttpContext context) =>
        context.Features.Get<IHttpRequestFeature>()?.RawTarget is { Length: > 0 } raw && raw.StartsWith('/')
            ? raw
            : (context.Request.PathBase + context.Request.Path).ToUriComponent() + context.Request.QueryString;

    /// <summary>The nginx variables auth-url and auth-signin may hold, longest name first so $http_host is not read as $host.</summary>
    private static string Expand(string template, HttpRequest request, string requestUri) => !template.Contains('$', StringComparison.Ordinal) ? template
        : template.Replace("$escaped_request_uri", Uri.EscapeDataString(requestUri), StringComparison.Ordinal)
            .Replace("$request_uri", requestUri, StringComparison.Ordinal)
            .Replace("$http_host", request.Host.Value ?? "", StringComparison.Ordinal)
            .Replace("$scheme", request.Scheme, StringComparison.Ordinal)
            .Replace("$host", request.Host.Host.ToLowerInvariant(), StringComparison.Ordinal);

    private static void Set(HttpRequestMessage message, string name, string value)
    {
        message.Headers.Remove(name);
        message.Headers.TryAddWithoutValidation(name, value);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "auth-url {Url} answered {Status}: the request is answered 500")]
    private partial void LogUnexpectedStatus(string url, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "auth-url {Url} failed or took longer than {Timeout}: the request is answered 500")]
    private partial void LogFailed(Exception exception, string url, TimeSpan timeout);
}
