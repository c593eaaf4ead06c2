using System.Reflection;
using Orleans.Proxy.Translation.Annotations;

namespace Orleans.Proxy.UnitTests.Translation.Annotations;

public sealed class AnnotationTableTests
{
    [Fact]
    public void All_Names_UniqueAndUnderOurPrefixOrIngressNginxs()
    {
        Assert.Equal(AnnotationTable.All.Length, AnnotationTable.All.Select(a => a.Name).Distinct(StringComparer.Ordinal).Count());
        Assert.All(AnnotationTable.All, a => Assert.True(
            a.Name.StartsWith(AnnotationDefinition.OurPrefix, StringComparison.Ordinal) || a.Name.StartsWith(AnnotationDefinition.NginxPrefix, StringComparison.Ordinal), a.Name));
    }

    [Fact]
    public void Read_EveryAnnotationField_ListedOnceAndHonoured()
    {
        var fields = typeof(AnnotationTable).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.FieldType.IsGenericType && f.FieldType.GetGenericTypeDefinition() == typeof(Annotation<>))
            .Select(f => (AnnotationDefinition)f.GetValue(null)!)
            .ToList();

        Assert.Equal(fields.Select(f => f.Name).Order(StringComparer.Ordinal), AnnotationTable.Read.Select(a => a.Name).Order(StringComparer.Ordinal));
        Assert.All(AnnotationTable.Read, a => Assert.True(a.IsHonoured, a.Name));
    }

    [Fact]
    public void NotHonoured_EveryRow_IngressNginxsAndNotHonoured()
    {
        Assert.All(AnnotationTable.NotHonoured, a => Assert.True(a.Origin == AnnotationOrigin.IngressNginx && !a.IsHonoured, a.Name));
    }

    [Fact]
    public void All_DifferencesRefusalsAndNoEffect_SayWhyInTheNotes()
    {
        Assert.All(AnnotationTable.All.Where(a => a.Status == AnnotationStatus.HonouredWithDifferences), a => Assert.Contains("Difference", a.Notes, StringComparison.Ordinal));
        Assert.All(AnnotationTable.All.Where(a => a.Status is AnnotationStatus.Refused or AnnotationStatus.NoEffect), a => Assert.False(string.IsNullOrWhiteSpace(a.Notes), a.Name));
    }

    [Fact]
    public void All_Snippets_Refused()
    {
        Assert.All(AnnotationTable.All.Where(a => a.Name.EndsWith("-snippet", StringComparison.Ordinal)), a => Assert.Equal(AnnotationStatus.Refused, a.Status));
        Assert.Contains(AnnotationTable.All, a => a.Name == AnnotationDefinition.NginxPrefix + "configuration-snippet");
    }

    [Fact]
    public void Read_HonouredCanaryRows_TheSevenCanaryAnnotations()
    {
        Assert.Equal(
            ["canary", "canary-weight", "canary-by-header", "canary-by-header-value", "canary-by-cookie", "canary-by-header-pattern", "canary-weight-total"],
            AnnotationTable.Read.Where(a => a.Feature == AnnotationFeature.Canary).Select(a => a.Name[AnnotationDefinition.NginxPrefix.Length..]));
    }

    [Theory]
    [InlineData("orleans-proxy.io/rate-limit-rps", null)]
    [InlineData("nginx.ingress.kubernetes.io/limit-rps", null)]
    [InlineData("orleans-proxy.io/rate-limt-rps", AnnotationTable.UnknownReason)]
    [InlineData("nginx.ingress.kubernetes.io/configuration-snippet", "refused, never applied: Raw nginx configuration: there is no nginx here to run it, and a snippet lets whoever writes an Ingress act on other tenants' traffic and read the controller's secrets (CVE-2021-25742).")]
    [InlineData("nginx.ingress.kubernetes.io/proxy-buffering", "accepted with no effect: YARP streams request and response bodies: there are no nginx buffers or temporary files to size.")]
    [InlineData("nginx.ingress.kubernetes.io/satisfy", "this ingress-nginx annotation is not supported yet: it is ignored (docs/annotations.md lists the supported ones)")]
    [InlineData("nginx.ingress.kubernetes.io/no-such-annotation", AnnotationTable.NotSupportedReason)]
    [InlineData("kubernetes.io/ingress.class", null)]
    public void Report_Name_ReasonUnlessHonouredOrForeign(string name, string? reason) =>
        Assert.Equal(reason, AnnotationTable.Report(name));

    [Fact]
    public void HonouredNginxCount_CountsHonouredIngressNginxRows() =>
        Assert.Equal(67, AnnotationTable.HonouredNginxCount);
}
