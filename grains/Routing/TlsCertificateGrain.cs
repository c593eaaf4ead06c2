namespace Orleans.Proxy.Routing;

internal sealed class TlsCertificateGrain(TimeProvider time) : Grain, ITlsCertificateGrain
{
    private readonly NewestVersion<TlsCertificateSpec> _certificate = new();

    public Task<VersionedWrite> SetCertificate(TlsCertificateSpec certificate) => Task.FromResult(_certificate.TrySet(certificate, time.GetUtcNow()));

    public Task<TlsCertificateSpec> GetCertificate() => Task.FromResult(_certificate.Value ?? TlsCertificateSpec.Empty(this.GetPrimaryKeyString()));
}
