using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Orleans.Proxy.Edge.Diagnostics;

/// <summary>Requires "Authorization: Bearer &lt;token&gt;" on /diag unless Diagnostics:Insecure is set.</summary>
internal sealed class BearerTokenFilter : IEndpointFilter
{
    private readonly byte[]? _token;

    public BearerTokenFilter(IOptions<DiagnosticsOptions> options)
    {
        var o = options.Value;
        var token = o.Token is { Length: > 0 } ? o.Token : o.TokenFile is { Length: > 0 } ? File.ReadAllText(o.TokenFile).Trim() : null;
        _token = o.Insecure ? null : Encoding.UTF8.GetBytes(token ?? throw new OptionsValidationException(DiagnosticsOptions.Section, typeof(DiagnosticsOptions), ["Diagnostics token is empty"]));
    }

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (_token is null)
        {
            return next(context);
        }

        var header = context.HttpContext.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        var presented = header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()) : [];
        if (CryptographicOperations.FixedTimeEquals(presented, _token))
        {
            return next(context);
        }

        context.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
        return ValueTask.FromResult<object?>(Results.Unauthorized());
    }
}
