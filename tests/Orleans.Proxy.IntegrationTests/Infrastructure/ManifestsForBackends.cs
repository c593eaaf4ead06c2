using Orleans.Proxy.IntegrationTests.Infrastructure;

namespace Orleans.Proxy.Testing;

internal static partial class Manifests
{
    /// <summary>A Service whose EndpointSlices point at running test backends.</summary>
    public static string ServiceFor(string name, TestBackend backend, params TestBackend[] more) =>
        ServiceFor(name, [backend.Port, .. more.Select(b => b.Port)]);
}
