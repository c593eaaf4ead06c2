using Orleans.Proxy.Edge.Hosting;

namespace Orleans.Proxy.UnitTests.Architecture;

public sealed class LayeringTests
{
    /// <summary>
    /// The edge project references the silo only to host one in embedded mode; its own code must
    /// reach grains through their interfaces, so it works unchanged as a pure client.
    /// </summary>
    [Fact]
    public void EdgeAssembly_References_NoGrainImplementations()
    {
        var referenced = typeof(EdgeOptions).Assembly.GetReferencedAssemblies().Select(a => a.Name).ToList();

        Assert.Contains("Orleans.Proxy.GrainInterfaces", referenced);
        Assert.DoesNotContain("Orleans.Proxy.Grains", referenced);
    }

    [Fact]
    public void GrainInterfacesAssembly_References_OnlyOrleansAndTheFramework()
    {
        var referenced = typeof(Orleans.Proxy.Routing.IRouteCatalogGrain).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();

        Assert.All(referenced, name => Assert.True(
            name.StartsWith("Orleans.", StringComparison.Ordinal) && !name.StartsWith("Orleans.Proxy.", StringComparison.Ordinal)
            || name.StartsWith("System", StringComparison.Ordinal) || name.StartsWith("Microsoft.", StringComparison.Ordinal),
            $"grain-interfaces references {name}"));
    }
}
