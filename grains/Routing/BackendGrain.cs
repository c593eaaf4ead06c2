namespace Orleans.Proxy.Routing;

internal sealed partial class BackendGrain : Grain, IBackendGrain
{
    private readonly NewestVersion<BackendSpec> _backend = new();

    public Task<bool> SetBackend(BackendSpec backend)
    {
        if (!_backend.TrySet(backend))
        {
            return Task.FromResult(false);
        }

        OnBackendChanged(backend);
        return Task.FromResult(true);
    }

    public Task<BackendSpec> GetBackend() => Task.FromResult(_backend.Value ?? BackendSpec.Empty(this.GetPrimaryKeyString()));
}
