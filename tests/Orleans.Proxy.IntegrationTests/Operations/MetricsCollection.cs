namespace Orleans.Proxy.IntegrationTests.Operations;

/// <summary>
/// Tests that read exact metric values run alone. OpenTelemetry listens to meters by name across
/// the process, and when another test's host stops, the meters it disposes take the shared metric
/// streams out of every reader: a one-host process (production) never sees this.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsCollection
{
    public const string Name = "Metrics";
}
