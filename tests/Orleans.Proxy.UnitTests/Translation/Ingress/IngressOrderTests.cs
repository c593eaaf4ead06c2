using k8s.Models;
using Orleans.Proxy.Translation.Ingress.Conflicts;

namespace Orleans.Proxy.UnitTests.Translation.Ingress;

public sealed class IngressOrderTests
{
    private static V1Ingress Ingress(string name, int minute, bool canary = false) => new()
    {
        Metadata = new()
        {
            Name = name,
            NamespaceProperty = "shop",
            CreationTimestamp = new DateTime(2025, 1, 1, 0, minute, 0, DateTimeKind.Utc),
            Annotations = canary ? new Dictionary<string, string> { ["canary"] = "true" } : null,
        },
    };

    [Fact]
    public void Of_MixedAgesAndCanaries_OldestFirstThenByNameCanariesLast()
    {
        var ingresses = new[] { Ingress("young", 5), Ingress("canary", 0, canary: true), Ingress("b-old", 1), Ingress("a-old", 1) };

        var order = IngressOrder.Of(ingresses, i => i.Metadata.Annotations is not null);

        Assert.Equal(["a-old", "b-old", "young", "canary"], order.Select(i => i.Metadata.Name));
    }
}
