using System.IO.Pipelines;
using System.Net.Security;
using System.Security.Authentication;
using Microsoft.AspNetCore.Connections;

namespace Orleans.Proxy.Hosting.Tls;

/// <summary>
/// Client side of the cluster's mutual TLS for an Orleans client (an edge), as connection
/// middleware: Orleans' own TLS package also carries the silo runtime, which an edge must not.
/// It presents the current certificate and accepts only a gateway that chains to the cluster CA;
/// otherwise the connection fails before any grain call.
/// </summary>
internal static class TlsClientConnection
{
    /// <summary>ALPN name the silos' TLS listeners offer.</summary>
    private static readonly SslApplicationProtocol Orleans = new("Orleans1");

    public static ConnectionDelegate Use(ConnectionDelegate next, ClusterCertificateFiles files, TimeSpan handshakeTimeout) => async context =>
    {
        var original = context.Transport;
        var stream = new DuplexPipeStream(original);
        var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
        try
        {
            using var timeout = new CancellationTokenSource(handshakeTimeout);
            using var aborted = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, context.ConnectionClosed);
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                // Gateways are pods with changing addresses: trust is the CA's signature, not a name.
                TargetHost = "orleans-proxy-silo",
                ApplicationProtocols = [Orleans],
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                LocalCertificateSelectionCallback = (_, _, _, _, _) => files.Certificate,
                RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
                    files.IsTrustedPeer(certificate as System.Security.Cryptography.X509Certificates.X509Certificate2 ?? (certificate is null ? null : new(certificate)), chain),
            }, aborted.Token);
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException)
        {
            await ssl.DisposeAsync();
            throw new AuthenticationException($"TLS handshake with the cluster gateway failed: {e.Message}", e);
        }

        var input = PipeReader.Create(ssl, new StreamPipeReaderOptions(leaveOpen: true));
        var output = PipeWriter.Create(ssl, new StreamPipeWriterOptions(leaveOpen: true));
        context.Transport = new DuplexPipe(input, output);
        try
        {
            await next(context);
        }
        finally
        {
            await input.CompleteAsync();
            await output.CompleteAsync();
            await ssl.DisposeAsync();
            context.Transport = original;
        }
    };

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    /// <summary>The connection's transport as the byte stream SslStream reads and writes.</summary>
    private sealed class DuplexPipeStream(IDuplexPipe transport) : Stream
    {
        private readonly Stream _input = transport.Input.AsStream(leaveOpen: true);
        private readonly Stream _output = transport.Output.AsStream(leaveOpen: true);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _input.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _input.ReadAsync(buffer, offset, count, cancellationToken);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => _output.WriteAsync(buffer, cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _output.WriteAsync(buffer, offset, count, cancellationToken);

        public override Task FlushAsync(CancellationToken cancellationToken) => _output.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => _input.Read(buffer, offset, count);

        public override void Write(byte[] buffer, int offset, int count) => _output.Write(buffer, offset, count);

        public override void Flush() => _output.Flush();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _input.Dispose();
                _output.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
