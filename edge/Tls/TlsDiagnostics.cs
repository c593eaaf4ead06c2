using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace Orleans.Proxy.Edge.Tls;

internal static class TlsDiagnostics
{
    /// <summary>GET /diag/certificates: the certificate this edge presents per host name.</summary>
    public static RouteGroupBuilder MapTlsDiagnostics(this RouteGroupBuilder diag)
    {
        diag.MapGet("/certificates", (TlsCertificateStore store) => store.Current
            .OrderBy(c => c.Key, StringComparer.Ordinal)
            .Select(c => new { host = c.Key, subject = c.Value.Subject, thumbprint = c.Value.Thumbprint, notBefore = c.Value.NotBefore.ToUniversalTime(), notAfter = c.Value.NotAfter.ToUniversalTime() }));
        return diag;
    }
}
