namespace Orleans.Proxy.Routing;

internal sealed class TlsCertificateGrain : Grain, ITlsCertificateGrain
{
    private readonly NewestVersion<TlsCertificateSpec> _certificate = new();

    public Task<bool> SetCertificate(TlsCertificateSpec certificate) => Task.FromResult(_certificate.TrySet(certificate));

    public Task<TlsCertificateSpec> GetCertificate() => Task.FromResult(_certificate.Value ?? TlsCertificateSpec.Empty(this.GetPrimaryKeyString()));
}
