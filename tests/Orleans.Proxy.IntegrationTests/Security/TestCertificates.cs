using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Orleans.Proxy.IntegrationTests.Security;

/// <summary>A certificate authority made in the test, issuing cluster certificates as PEM files.</summary>
internal sealed class TestCa : IDisposable
{
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");

    private TestCa(X509Certificate2 certificate) => Certificate = certificate;

    public X509Certificate2 Certificate { get; }

    public static TestCa Create(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        return new TestCa(request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1)));
    }

    /// <summary>
    /// Writes tls.crt, tls.key (this CA's new certificate for <paramref name="name"/>) and
    /// ca.crt (<paramref name="trusted"/>, this CA by default) into <paramref name="folder"/>, as a
    /// mounted kubernetes.io/tls Secret holds them; returns the certificate.
    /// </summary>
    public X509Certificate2 IssueInto(string folder, string name, bool server, TestCa? trusted = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(server ? [ServerAuthentication, ClientAuthentication] : [ClientAuthentication], critical: false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var issued = request.Create(Certificate, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(12), serial);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "tls.crt"), issued.ExportCertificatePem());
        File.WriteAllText(Path.Combine(folder, "tls.key"), key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(Path.Combine(folder, "ca.crt"), (trusted ?? this).Certificate.ExportCertificatePem());
        return X509CertificateLoader.LoadCertificate(issued.RawData);
    }

    public void Dispose() => Certificate.Dispose();
}

/// <summary>A bare TLS handshake with a silo's port, as a new connection makes it.</summary>
internal static class TlsProbe
{
    /// <summary>The certificate the silo presents to a client holding <paramref name="clientCertificateFolder"/>'s certificate.</summary>
    public static async Task<X509Certificate2> ServerCertificateAsync(int port, string clientCertificateFolder)
    {
        await using var connection = await HandshakeAsync(port, clientCertificateFolder);
        return X509CertificateLoader.LoadCertificate(connection.Tls.RemoteCertificate!.GetRawCertData());
    }

    /// <summary>
    /// True when the silo refuses a peer holding <paramref name="clientCertificateFolder"/>'s certificate:
    /// the handshake fails, or the silo hangs up right after it (it may check the peer's certificate
    /// once its side of the handshake is done). An accepted peer is sent the silo's greeting (Orleans'
    /// connection preamble) at once; the timeout bounds a hang, it decides nothing.
    /// </summary>
    public static async Task<bool> RefusedAsync(int port, string clientCertificateFolder)
    {
        try
        {
            await using var connection = await HandshakeAsync(port, clientCertificateFolder);
            return await connection.Tls.ReadAsync(new byte[1]).AsTask().WaitAsync(TimeSpan.FromSeconds(60)) == 0;
        }
        catch (Exception e) when (e is System.Security.Authentication.AuthenticationException or IOException)
        {
            return true;
        }
    }

    private static async Task<Connection> HandshakeAsync(int port, string clientCertificateFolder)
    {
        using var pem = X509Certificate2.CreateFromPemFile(Path.Combine(clientCertificateFolder, "tls.crt"), Path.Combine(clientCertificateFolder, "tls.key"));
        using var client = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        var tcp = new TcpClient();
        Connection? connection = null;
        try
        {
            await tcp.ConnectAsync("127.0.0.1", port);
            connection = new Connection(tcp, new SslStream(tcp.GetStream()));
            await connection.Tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "silo",
                ClientCertificates = [client],
                // What the silo presents is read, not trusted: trusting it is not the question here.
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            });
            return connection;
        }
        catch
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }

            tcp.Dispose();
            throw;
        }
    }

    private sealed record Connection(TcpClient Tcp, SslStream Tls) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Tls.DisposeAsync();
            Tcp.Dispose();
        }
    }
}
