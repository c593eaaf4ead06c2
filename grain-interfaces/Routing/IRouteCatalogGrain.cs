namespace Orleans.Proxy.Routing;

/// <summary>Receives catalog changes pushed by <see cref="IRouteCatalogGrain"/>.</summary>
[Alias("op.IRouteCatalogObserver")]
public interface IRouteCatalogObserver : IGrainObserver
{
    [Alias("OnCatalogChanged")]
    void OnCatalogChanged(CatalogSnapshot snapshot);
}

/// <summary>The host and backend list with versions; key "default".</summary>
[Alias("op.IRouteCatalogGrain")]
public interface IRouteCatalogGrain : IGrainWithStringKey
{
    public const string DefaultKey = "default";

    /// <summary>Stores the snapshot unless an equal or newer generation is held; pushes it to observers.</summary>
    /// <returns>True when stored.</returns>
    [Alias("Publish")]
    Task<bool> Publish(CatalogSnapshot snapshot);

    [Alias("GetSnapshot"), ResponseTimeout("00:00:05")]
    Task<CatalogSnapshot> GetSnapshot();

    /// <summary>Registers or renews an observer (it expires unless renewed) and returns the current catalog.</summary>
    [Alias("Subscribe"), ResponseTimeout("00:00:05")]
    Task<CatalogSnapshot> Subscribe(string edgeId, IRouteCatalogObserver observer);

    [Alias("Unsubscribe"), ResponseTimeout("00:00:05")]
    Task Unsubscribe(IRouteCatalogObserver observer);
}

/// <summary>Routes of one host; key is the host name, "*" for rules without a host and the default backend.</summary>
[Alias("op.IHostRouteGrain")]
public interface IHostRouteGrain : IGrainWithStringKey
{
    /// <summary>Stores the routes unless the grain holds this version or a newer one.</summary>
    [Alias("SetRoutes")]
    Task<bool> SetRoutes(HostRoutes routes);

    [Alias("GetRoutes"), ResponseTimeout("00:00:05")]
    Task<HostRoutes> GetRoutes();
}
