namespace Orleans.Proxy.Routing;

internal sealed partial class BackendGrain : Grain, IBackendGrain
{
    private BackendSpec? _backend;

    public Task<bool> SetBackend(BackendSpec backend)
    {
        if (_backend is not null && backend.Version <= _backend.Version)
        {
            return Task.FromResult(false);
        }

        _backend = backend;
        OnBackendChanged(backend);
        return Task.FromResult(true);
    }

    public Task<BackendSpec> GetBackend() => Task.FromResult(_backend ?? BackendSpec.Empty(this.GetPrimaryKeyString()));
}
