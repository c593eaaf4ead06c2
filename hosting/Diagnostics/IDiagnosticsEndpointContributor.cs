using Microsoft.AspNetCore.Routing;

namespace Orleans.Proxy.Hosting.Diagnostics;

/// <summary>
/// Endpoints a component adds to the diagnostics listener, behind its token, without the shared
/// hosting library knowing the component (the silo adds the Orleans dashboard this way).
/// </summary>
public interface IDiagnosticsEndpointContributor
{
    void Map(IEndpointRouteBuilder endpoints);
}
