using k8s.Models;
using Orleans.Proxy.Translation.GatewayApi;

namespace Orleans.Proxy.UnitTests.Translation.GatewayApi;

public sealed class ReferenceGrantsTests
{
    private const string Group = GatewayApiGroup.Group;

    private static ReferenceGrant Grant(string ns, string fromNs, string? toName = null, string fromKind = "HTTPRoute", string toKind = "Service") => new()
    {
        Metadata = new() { Name = "grant", NamespaceProperty = ns },
        Spec = new()
        {
            From = [new ReferenceGrantFrom { Group = Group, Kind = fromKind, Namespace = fromNs }],
            To = [new ReferenceGrantTo { Group = "", Kind = toKind, Name = toName }],
        },
    };

    [Fact]
    public void Allows_SameNamespace_WithoutAnyGrant() =>
        Assert.True(new ReferenceGrants([]).Allows(Group, "HTTPRoute", "a", "", "Service", "a", "web"));

    [Fact]
    public void Allows_GrantInTheTargetNamespace_ForEveryNameOrTheNamedOne()
    {
        Assert.True(new ReferenceGrants([Grant("b", "a")]).Allows(Group, "HTTPRoute", "a", "", "Service", "b", "web"));
        Assert.True(new ReferenceGrants([Grant("b", "a", "web")]).Allows(Group, "HTTPRoute", "a", "", "Service", "b", "web"));
        Assert.False(new ReferenceGrants([Grant("b", "a", "other")]).Allows(Group, "HTTPRoute", "a", "", "Service", "b", "web"));
    }

    [Theory]
    [InlineData("a", "a", "HTTPRoute", "Service")] // the grant sits in the source's namespace, not the target's
    [InlineData("b", "c", "HTTPRoute", "Service")] // from another namespace
    [InlineData("b", "a", "Gateway", "Service")]   // from another kind
    [InlineData("b", "a", "HTTPRoute", "Secret")]  // to another kind
    public void Allows_GrantWrongInOneWay_Refuses(string grantNs, string fromNs, string fromKind, string toKind) =>
        Assert.False(new ReferenceGrants([Grant(grantNs, fromNs, fromKind: fromKind, toKind: toKind)]).Allows(Group, "HTTPRoute", "a", "", "Service", "b", "web"));
}

public sealed class LabelSelectorsTests
{
    [Fact]
    public void Matches_LabelsAndExpressions_AllMustHold()
    {
        var selector = new V1LabelSelector
        {
            MatchLabels = new Dictionary<string, string> { ["team"] = "shop" },
            MatchExpressions = [new V1LabelSelectorRequirement { Key = "tier", OperatorProperty = "In", Values = ["web", "api"] }, new V1LabelSelectorRequirement { Key = "legacy", OperatorProperty = "DoesNotExist" }],
        };

        Assert.True(LabelSelectors.Matches(selector, new Dictionary<string, string> { ["team"] = "shop", ["tier"] = "api" }));
        Assert.False(LabelSelectors.Matches(selector, new Dictionary<string, string> { ["team"] = "shop", ["tier"] = "db" }));
        Assert.False(LabelSelectors.Matches(selector, new Dictionary<string, string> { ["team"] = "shop", ["tier"] = "web", ["legacy"] = "1" }));
        Assert.False(LabelSelectors.Matches(selector, null));
        Assert.True(LabelSelectors.Matches(new V1LabelSelector(), null));
    }

    [Fact]
    public void Matches_UnknownOperator_SelectsNothing() =>
        Assert.False(LabelSelectors.Matches(new V1LabelSelector { MatchExpressions = [new V1LabelSelectorRequirement { Key = "a", OperatorProperty = "Like" }] }, new Dictionary<string, string> { ["a"] = "b" }));
}
