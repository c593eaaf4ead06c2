using Orleans.Proxy.Routing;
using Orleans.Proxy.Translation.Annotations;

namespace Orleans.Proxy.UnitTests.Translation.Annotations;

public sealed class AnnotationReaderTests
{
    private const string Source = "Ingress shop/web";

    private static AnnotationReader Reader(params (string Name, string Value)[] annotations) =>
        new(Source, annotations.ToDictionary(a => a.Name, a => a.Value));

    [Fact]
    public void Read_Absent_DefaultAndNoRejection()
    {
        var reader = Reader();

        var value = reader.Read(AnnotationTable.HealthCheckInterval);

        Assert.Equal((AnnotationState.Absent, TimeSpan.FromSeconds(10)), (value.State, value.Value));
        Assert.Empty(reader.Finish());
    }

    [Fact]
    public void Read_Blank_Absent() =>
        Assert.True(Reader((AnnotationTable.NginxProxyConnectTimeout.Name, "  ")).Read(AnnotationTable.NginxProxyConnectTimeout).IsAbsent);

    [Fact]
    public void Read_Valid_TrimmedAndParsed()
    {
        var value = Reader((AnnotationTable.NginxProxyConnectTimeout.Name, " 5 ")).Read(AnnotationTable.NginxProxyConnectTimeout);

        Assert.Equal((AnnotationState.Valid, (TimeSpan?)TimeSpan.FromSeconds(5)), (value.State, value.Value));
    }

    [Fact]
    public void Read_Invalid_DefaultAndRejectionWithTheRowsReason()
    {
        var reader = Reader((AnnotationTable.NginxProxyConnectTimeout.Name, "5s"));

        var value = reader.Read(AnnotationTable.NginxProxyConnectTimeout);

        Assert.Equal((AnnotationState.Invalid, (TimeSpan?)null), (value.State, value.Value));
        Assert.Equal(
            new Rejection(Source, "metadata.annotations[nginx.ingress.kubernetes.io/proxy-connect-timeout]", "'5s' is not a whole number of seconds from 1 to 3600; the default applies"),
            Assert.Single(reader.Finish()));
    }

    [Fact]
    public void Read_ListWithABadItem_RejectionQuotesTheItem()
    {
        var reader = Reader((AnnotationTable.NginxWhitelistSourceRange.Name, "10.0.0.0/8, not-a-cidr"));

        Assert.True(reader.Read(AnnotationTable.NginxWhitelistSourceRange).IsInvalid);
        Assert.Equal(
            "'not-a-cidr' is not an IP address or CIDR range (e.g. 10.0.0.0/8); the Ingress is refused, since serving it without the rule would widen access",
            Assert.Single(reader.Finish()).Reason);
    }

    [Fact]
    public void Finish_UnknownOursAndUnsupportedNginx_ReportedHonouredNot()
    {
        var reader = Reader(
            ("orleans-proxy.io/rate-limt-rps", "10"),
            ("nginx.ingress.kubernetes.io/server-snippet", "x"),
            ("nginx.ingress.kubernetes.io/limit-rps", "10"),
            ("kubernetes.io/ingress.class", "nginx"));

        Assert.Equal(
            [("metadata.annotations[orleans-proxy.io/rate-limt-rps]", AnnotationTable.UnknownReason), ("metadata.annotations[nginx.ingress.kubernetes.io/server-snippet]", AnnotationTable.Report("nginx.ingress.kubernetes.io/server-snippet")!)],
            reader.Finish().Select(r => (r.Field, r.Reason)));
    }

    [Fact]
    public void IsSet_PresentAndNotBlank_True()
    {
        var reader = Reader((AnnotationTable.NginxCanaryByHeader.Name, "X-Canary"), (AnnotationTable.NginxCanaryByCookie.Name, ""));

        Assert.True(reader.IsSet(AnnotationTable.NginxCanaryByHeader));
        Assert.False(reader.IsSet(AnnotationTable.NginxCanaryByCookie));
        Assert.False(reader.IsSet(AnnotationTable.NginxCanaryWeight));
    }

    [Theory]
    [InlineData("true", true, true)]
    [InlineData("True", true, true)]
    [InlineData("yes", false, false)]
    public void Peek_Value_ParsedWithoutRejection(string text, bool valid, bool expected)
    {
        var value = AnnotationReader.Peek(new Dictionary<string, string> { [AnnotationTable.NginxCanary.Name] = text }, AnnotationTable.NginxCanary);

        Assert.Equal((valid, expected), (value.IsValid, value.Value));
    }
}
