using Orleans.Proxy.RateLimiting;
using Orleans.Proxy.Routing;
using Orleans.Proxy.Translation.Files;
using Orleans.Proxy.Silo.RouteSources.Files;
using Orleans.Proxy.Translation.Annotations;
using Orleans.Proxy.Translation.Ingress;
using Orleans.Proxy.Silo.Publishing;

using Orleans.Proxy.Testing;

namespace Orleans.Proxy.UnitTests.RateLimiting;

/// <summary>Rate-limit annotations through the converter: ours and ingress-nginx's, and what a bad value does.</summary>
public sealed class RateLimitAnnotationsTests
{
    private static (RouteSpec Route, IReadOnlyList<Rejection> Rejections) Convert(Dictionary<string, string> annotations)
    {
        var yaml = Manifests.ServiceFor("web") + "---\n" + Manifests.IngressWithAnnotations("app", "app.test", annotations, ("/", "Prefix", "web"));
        var read = KubernetesYamlReader.Read("test.yaml", yaml);
        var state = IngressConverter.Convert(read.Objects);
        return (Assert.Single(state.Hosts["app.test"]), state.Rejections);
    }

    [Fact]
    public void Convert_OwnRps_OnePolicyWithBurstOfOnePeriodKeyedByClientIp()
    {
        var (route, rejections) = Convert(new() { [AnnotationTable.RateLimitRps.Name] = "10" });

        Assert.Empty(rejections);
        var spec = Assert.Single(route.RateLimits);
        Assert.Equal(new RateLimitSpec("test/app/rate-limit", 10, RateLimitPeriod.Second, 10, RateLimitKeyKind.ClientIp, null, []), spec with { Whitelist = [] });
        Assert.Empty(spec.Whitelist);
    }

    [Theory]
    [InlineData("client-ip", RateLimitKeyKind.ClientIp, null)]
    [InlineData("route", RateLimitKeyKind.Route, null)]
    [InlineData("host", RateLimitKeyKind.Host, null)]
    [InlineData("header:X-Api-Key", RateLimitKeyKind.Header, "X-Api-Key")]
    public void Convert_OwnRpmWithBurstAndKey_ReadsEach(string key, RateLimitKeyKind kind, string? header)
    {
        var (route, rejections) = Convert(new()
        {
            [AnnotationTable.RateLimitRpm.Name] = "600",
            [AnnotationTable.RateLimitBurst.Name] = "50",
            [AnnotationTable.RateLimitKey.Name] = key,
            [AnnotationTable.RateLimitWhitelist.Name] = "10.0.0.0/8, 192.168.1.7",
        });

        Assert.Empty(rejections);
        var spec = Assert.Single(route.RateLimits);
        Assert.Equal((600, RateLimitPeriod.Minute, 50, kind, header), (spec.Permits, spec.Period, spec.Burst, spec.Key, spec.HeaderName));
        Assert.Equal(["10.0.0.0/8", "192.168.1.7/32"], spec.Whitelist.ToArray());
        Assert.Equal(10, spec.RatePerSecond);
    }

    [Fact]
    public void Convert_NginxRpsAndRpm_TwoPoliciesWithDefaultMultiplierFive()
    {
        var (route, rejections) = Convert(new()
        {
            [AnnotationTable.NginxLimitRps.Name] = "5",
            [AnnotationTable.NginxLimitRpm.Name] = "300",
            [AnnotationTable.NginxLimitWhitelist.Name] = "127.0.0.1",
        });

        Assert.Empty(rejections);
        Assert.Collection(route.RateLimits,
            rps => Assert.Equal(("test/app/nginx-rps", 5, RateLimitPeriod.Second, 25, RateLimitKeyKind.ClientIp), (rps.PolicyId, rps.Permits, rps.Period, rps.Burst, rps.Key)),
            rpm => Assert.Equal(("test/app/nginx-rpm", 300, RateLimitPeriod.Minute, 1500, RateLimitKeyKind.ClientIp), (rpm.PolicyId, rpm.Permits, rpm.Period, rpm.Burst, rpm.Key)));
        Assert.All(route.RateLimits, s => Assert.Equal(["127.0.0.1/32"], s.Whitelist.ToArray()));
    }

    [Fact]
    public void Convert_NginxBurstMultiplier_ScalesBurst()
    {
        var (route, _) = Convert(new() { [AnnotationTable.NginxLimitRps.Name] = "4", [AnnotationTable.NginxLimitBurstMultiplier.Name] = "2" });

        Assert.Equal(8, Assert.Single(route.RateLimits).Burst);
    }

    [Fact]
    public void Convert_NginxZero_NoLimitAsInIngressNginx()
    {
        var (route, rejections) = Convert(new() { [AnnotationTable.NginxLimitRps.Name] = "0" });

        Assert.Empty(rejections);
        Assert.Empty(route.RateLimits);
    }

    [Theory]
    [InlineData("ten")]
    [InlineData("-1")]
    [InlineData("0")]
    [InlineData("1.5")]
    public void Convert_MalformedRps_RejectedAloneAndRouteStays(string value)
    {
        var (route, rejections) = Convert(new() { [AnnotationTable.RateLimitRps.Name] = value });

        var rejection = Assert.Single(rejections);
        Assert.Equal(("Ingress test/app", $"metadata.annotations[{AnnotationTable.RateLimitRps.Name}]"), (rejection.Object, rejection.Field));
        Assert.Contains($"'{value}'", rejection.Reason, StringComparison.Ordinal);
        Assert.Empty(route.RateLimits);
        Assert.Equal("test/web:80", route.ClusterId);
    }

    [Fact]
    public void Convert_MalformedKeyBurstAndWhitelist_EachRejectedAndDefaultsLimit()
    {
        var (route, rejections) = Convert(new()
        {
            [AnnotationTable.RateLimitRps.Name] = "10",
            [AnnotationTable.RateLimitBurst.Name] = "lots",
            [AnnotationTable.RateLimitKey.Name] = "cookie:session",
            [AnnotationTable.RateLimitWhitelist.Name] = "10.0.0.0/33",
        });

        Assert.Equal(
            [AnnotationTable.RateLimitBurst.Name, AnnotationTable.RateLimitKey.Name, AnnotationTable.RateLimitWhitelist.Name],
            rejections.Select(r => r.Field["metadata.annotations[".Length..^1]).Order(StringComparer.Ordinal));
        var spec = Assert.Single(route.RateLimits);
        Assert.Equal((10, RateLimitKeyKind.ClientIp), (spec.Burst, spec.Key));
        Assert.Empty(spec.Whitelist);
    }

    [Fact]
    public void Convert_OwnRpsAndRpm_RpmRejectedPerSecondApplies()
    {
        var (route, rejections) = Convert(new() { [AnnotationTable.RateLimitRps.Name] = "10", [AnnotationTable.RateLimitRpm.Name] = "60" });

        Assert.Equal($"metadata.annotations[{AnnotationTable.RateLimitRpm.Name}]", Assert.Single(rejections).Field);
        Assert.Equal(RateLimitPeriod.Second, Assert.Single(route.RateLimits).Period);
    }

    [Fact]
    public void Convert_BurstWithoutRate_Rejected()
    {
        var (route, rejections) = Convert(new() { [AnnotationTable.RateLimitBurst.Name] = "10" });

        Assert.Contains("has no effect", Assert.Single(rejections).Reason, StringComparison.Ordinal);
        Assert.Empty(route.RateLimits);
    }

    [Fact]
    public void Convert_MalformedNginxMultiplier_RejectedDefaultApplies()
    {
        var (route, rejections) = Convert(new() { [AnnotationTable.NginxLimitRps.Name] = "2", [AnnotationTable.NginxLimitBurstMultiplier.Name] = "x" });

        Assert.Equal($"metadata.annotations[{AnnotationTable.NginxLimitBurstMultiplier.Name}]", Assert.Single(rejections).Field);
        Assert.Equal(10, Assert.Single(route.RateLimits).Burst);
    }
}
