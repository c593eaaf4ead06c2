using Orleans.Proxy.Translation.Files;
using Orleans.Proxy.Translation.Ingress;

namespace Orleans.Proxy.UnitTests.Translation.Files;

public sealed class UnchangedObjectsTests
{
    [Fact]
    public void Keep_OneObjectEdited_OthersAreThePreviousObjects()
    {
        var previous = Read(Service("a", 80) + Service("b", 80));

        var kept = UnchangedObjects.Keep(previous, Read(Service("a", 80) + Service("b", 81)));

        Assert.Same(previous.Services[0], kept.Services[0]);
        Assert.NotSame(previous.Services[1], kept.Services[1]);
        Assert.Equal(81, kept.Services[1].Spec.Ports[0].Port);
    }

    [Fact]
    public void Keep_TwoEqualDocuments_StayTwoObjects()
    {
        var previous = Read(Service("a", 80));

        var kept = UnchangedObjects.Keep(previous, Read(Service("a", 80) + Service("a", 80)));

        Assert.Same(previous.Services[0], kept.Services[0]);
        Assert.NotSame(kept.Services[0], kept.Services[1]);
    }

    [Fact]
    public void Keep_NothingParsed_StaysTheEmptyReading()
    {
        Assert.Same(ClusterObjects.Empty, UnchangedObjects.Keep(Read(Service("a", 80)), ClusterObjects.Empty));
    }

    private static ClusterObjects Read(string yaml) => KubernetesYamlReader.Read("test.yaml", yaml).Objects;

    private static string Service(string name, int port) =>
        $"---\napiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: ns}}\nspec:\n  ports: [{{name: http, port: {port}}}]\n";
}
