using Microsoft.Extensions.DependencyInjection;

namespace Orleans.Proxy.Routing;

internal sealed partial class BackendGrain : Grain, IBackendGrain
{
    private readonly NewestVersion<BackendSpec> _backend = new();

    public Task<VersionedWrite> SetBackend(BackendSpec backend)
    {
        var write = _backend.TrySet(backend, ServiceProvider.GetRequiredService<TimeProvider>().GetUtcNow());
        if (write.Stored)
        {
            OnBackendChanged(backend);
        }

        return Task.FromResult(write);
    }

    public Task<BackendSpec> GetBackend() => Task.FromResult(_backend.Value ?? BackendSpec.Empty(this.GetPrimaryKeyString()));
}
