namespace Orleans.Proxy.IntegrationTests.Infrastructure;

/// <summary>
/// Tests that start hosts as child processes and load them (rollouts, images): run alone, after the
/// parallel ones, so their CPU and connection churn neither slows other tests past their waits nor
/// is slowed past its own.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SeparateProcessesCollection
{
    public const string Name = "Separate processes";
}
