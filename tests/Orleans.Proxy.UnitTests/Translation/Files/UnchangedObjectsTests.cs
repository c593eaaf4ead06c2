using Orleans.Proxy.Translation.Files;

namespace Orleans.Proxy.UnitTests.Translation.Files;

public sealed class UnchangedObjectsTests
{
    [Fact]
    public void Keep_EqualObject_IsThePreviousObject()
    {
        var previous = Read(Service("a", 80) + Service("b", 80));
        var current = Read(Service("b", 80));

        Assert.Same(previous[1], new UnchangedObjects(previous).Keep(current[0]));
    }

    [Fact]
    public void Keep_EditedObject_IsTheNewObject()
    {
        var current = Read(Service("a", 81))[0];

        Assert.Same(current, new UnchangedObjects(Read(Service("a", 80))).Keep(current));
    }

    [Fact]
    public void Keep_TwoEqualObjects_StayTwoObjects()
    {
        var previous = Read(Service("a", 80));
        var current = Read(Service("a", 80) + Service("a", 80));
        var keep = new UnchangedObjects(previous);

        Assert.Same(previous[0], keep.Keep(current[0]));
        Assert.Same(current[1], keep.Keep(current[1]));
    }

    [Fact]
    public void Keep_SameNameOtherKind_IsTheNewObject()
    {
        var current = Read("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: ns}\n")[0];

        Assert.Same(current, new UnchangedObjects(Read(Service("a", 80))).Keep(current));
    }

    private static List<object> Read(string yaml)
    {
        var objects = KubernetesYamlReader.Read("test.yaml", yaml).Objects;
        return [.. objects.Services, .. objects.ConfigMaps];
    }

    private static string Service(string name, int port) =>
        $"---\napiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: ns}}\nspec:\n  ports: [{{name: http, port: {port}}}]\n";
}
