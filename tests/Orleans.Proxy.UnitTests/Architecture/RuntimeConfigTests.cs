using System.Text.Json;

namespace Orleans.Proxy.UnitTests.Architecture;

/// <summary>The GC each host ships with: its runtimeconfig.json, as built beside the tests.</summary>
public sealed class RuntimeConfigTests
{
    [Theory]
    [InlineData("Orleans.Proxy.Edge")]
    [InlineData("Orleans.Proxy.Silo")]
    [InlineData("Orleans.Proxy.Embedded")]
    public void Host_RuntimeConfig_WorkstationGcConcurrent(string host)
    {
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, host + ".runtimeconfig.json")));
        var properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");

        // Memory at 10,000 hosts and the silo's pauses under churn chose it (bench/README.md, "Table size").
        Assert.False(properties.GetProperty("System.GC.Server").GetBoolean());
        Assert.False(properties.TryGetProperty("System.GC.Concurrent", out var concurrent) && !concurrent.GetBoolean());
    }
}
