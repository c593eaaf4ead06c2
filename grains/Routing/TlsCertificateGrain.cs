namespace Orleans.Proxy.Routing;

internal sealed class TlsCertificateGrain : Grain, ITlsCertificateGrain
{
    private TlsCertificateSpec? _certificate;

    public Task<bool> SetCertificate(TlsCertificateSpec certificate)
    {
        if (_certificate is not null && certificate.Version <= _certificate.Version)
        {
            return Task.FromResult(false);
        }

        _certificate = certificate;
        return Task.FromResult(true);
    }

    public Task<TlsCertificateSpec> GetCertificate() => Task.FromResult(_certificate ?? TlsCertificateSpec.Empty(this.GetPrimaryKeyString()));
}
