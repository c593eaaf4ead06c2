using System.Collections.Immutable;
using System.Security.Cryptography.X509Certificates;

namespace Orleans.Proxy.Edge.Tls;

/// <summary>
/// The certificate per host name that the HTTPS listener presents, chosen by SNI on every handshake
/// from the latest map: a rotated certificate is used by the next connection, with no restart.
/// </summary>
internal sealed class TlsCertificateStore
{
    private ImmutableDictionary<string, X509Certificate2> _byHost = ImmutableDictionary<string, X509Certificate2>.Empty;

    public ImmutableDictionary<string, X509Certificate2> Current => Volatile.Read(ref _byHost);

    public void Set(ImmutableDictionary<string, X509Certificate2> byHost) => Volatile.Write(ref _byHost, byHost);

    /// <summary>The exact host's certificate, else the wildcard one ("*.example.com"); null fails the handshake.</summary>
    public X509Certificate2? Select(string? serverName)
    {
        if (string.IsNullOrEmpty(serverName))
        {
            return null;
        }

        var byHost = Current;
        var name = serverName.ToLowerInvariant();
        if (byHost.TryGetValue(name, out var exact))
        {
            return exact;
        }

        var dot = name.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 && byHost.TryGetValue("*" + name[dot..], out var wildcard) ? wildcard : null;
    }
}
