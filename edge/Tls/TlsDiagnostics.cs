using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace Orleans.Proxy.Edge.Tls;

internal static class TlsDiagnostics
{
    /// <summary>GET /diag/certificates: the certificate this edge presents per host name; /diag/certificates/default: for any other name.</summary>
    public static RouteGroupBuilder MapTlsDiagnostics(this RouteGroupBuilder diag)
    {
        diag.MapGet("/certificates", (TlsCertificateStore store) => store.Current
            .OrderBy(c => c.Key, StringComparer.Ordinal)
            .Select(c => new { host = c.Key, subject = c.Value.Subject, thumbprint = c.Value.Thumbprint, notBefore = c.Value.NotBefore.ToUniversalTime(), notAfter = c.Value.NotAfter.ToUniversalTime() }));
        diag.MapGet("/certificates/default", (TlsCertificateStore store) => new
        {
            source = store.DefaultFromCluster ? "secret" : "self-signed",
            subject = store.Default.Subject,
            thumbprint = store.Default.Thumbprint,
            notBefore = store.Default.NotBefore.ToUniversalTime(),
            notAfter = store.Default.NotAfter.ToUniversalTime(),
        });
        return diag;
    }
}
