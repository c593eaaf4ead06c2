using Orleans.Proxy.Security;

namespace Orleans.Proxy.Routing;

/// <summary>One backend cluster; key is the cluster id ("namespace/service:port").</summary>
[Alias("op.IBackendGrain")]
public interface IBackendGrain : IGrainWithStringKey
{
    /// <summary>Stores the destinations unless the grain holds this version or a newer one (or it is too far ahead of the grain's clock).</summary>
    [Alias("SetBackend"), RouteSourceOnly]
    Task<VersionedWrite> SetBackend(BackendSpec backend);

    [Alias("GetBackend"), ResponseTimeout("00:00:05")]
    Task<BackendSpec> GetBackend();
}
