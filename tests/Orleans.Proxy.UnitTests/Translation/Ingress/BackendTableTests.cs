using Orleans.Proxy.Health;
using Orleans.Proxy.Routing;
using Orleans.Proxy.Translation.Annotations;
using Orleans.Proxy.Translation.Ingress.Conflicts;

namespace Orleans.Proxy.UnitTests.Translation.Ingress;

public sealed class BackendTableTests
{
    private const string ClusterId = "shop/web:80";

    private static readonly NginxBackendSettings Https = new(BackendProtocol.Https, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(120));

    private static BackendTable Table(List<Rejection> rejections)
    {
        var table = new BackendTable(rejections);
        table.Add(new BackendSpec(ClusterId, 0, [new DestinationSpec("10.0.0.1:8080", "http://10.0.0.1:8080")]));
        return table;
    }

    private static HealthAffinitySettings Health(string path) =>
        new(new HealthCheckSpec(path, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2), 2, 3), null, null);

    [Fact]
    public void ApplySettings_First_SetsProtocolTimeoutsAndHttpsDestinations()
    {
        var table = Table([]);

        table.ApplySettings("Ingress shop/tuned", ClusterId, Https);

        var backend = table.ToBackends()[ClusterId];
        Assert.Equal((BackendProtocol.Https, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(120)), (backend.Protocol, backend.ConnectTimeout, backend.ActivityTimeout));
        Assert.Equal("https://10.0.0.1:8080", Assert.Single(backend.Destinations).Address);
        Assert.Equal(Https, table.SettingsOf(ClusterId));
    }

    [Fact]
    public void ApplySettings_LaterIngressWantsOthers_RefusedFirstKept()
    {
        var rejections = new List<Rejection>();
        var table = Table(rejections);

        table.ApplySettings("Ingress shop/tuned", ClusterId, Https);
        table.ApplySettings("Ingress shop/late", ClusterId, new NginxBackendSettings(BackendProtocol.Grpc, null, null));

        Assert.Equal(BackendProtocol.Https, table.ToBackends()[ClusterId].Protocol);
        Assert.Equal(
            new Rejection("Ingress shop/late", "metadata.annotations", "backend shop/web:80: conflicts with Ingress shop/tuned, which set this backend's protocol/timeouts first (protocol Https, connect 5s, read/send 120s); a backend has one setting for all its Ingresses"),
            Assert.Single(rejections));
    }

    [Fact]
    public void ApplySettings_LaterIngressSetsNoneOrTheSame_NoConflict()
    {
        var rejections = new List<Rejection>();
        var table = Table(rejections);

        table.ApplySettings("Ingress shop/tuned", ClusterId, Https);
        table.ApplySettings("Ingress shop/plain", ClusterId, NginxBackendSettings.None);
        table.ApplySettings("Ingress shop/same", ClusterId, Https with { });

        Assert.Empty(rejections);
    }

    [Fact]
    public void SettingsOf_NoneSet_None() => Assert.Equal(NginxBackendSettings.None, Table([]).SettingsOf(ClusterId));

    [Fact]
    public void SetHealth_TwoIngressesDisagree_FirstWinsSecondRejected()
    {
        var rejections = new List<Rejection>();
        var table = Table(rejections);

        table.SetHealth("Ingress shop/a", ClusterId, Health("/healthz"));
        table.SetHealth("Ingress shop/b", ClusterId, Health("/ready"));

        Assert.Equal("/healthz", table.ToBackends()[ClusterId].HealthCheck?.Path);
        Assert.Equal(
            new Rejection("Ingress shop/b", "metadata.annotations", "backend shop/web:80 already has other health-check settings from Ingress shop/a; these are ignored (set them on one Ingress)"),
            Assert.Single(rejections));
    }

    [Fact]
    public void SetHealth_SameIngressTwiceOrNoHealth_NoRejection()
    {
        var rejections = new List<Rejection>();
        var table = Table(rejections);

        table.SetHealth("Ingress shop/a", ClusterId, Health("/healthz"));
        table.SetHealth("Ingress shop/a", ClusterId, Health("/other-path-of-the-same-ingress"));
        table.SetHealth("Ingress shop/b", ClusterId, new HealthAffinitySettings(null, null, null));

        Assert.Empty(rejections);
        Assert.Equal("/healthz", table.ToBackends()[ClusterId].HealthCheck?.Path);
    }

    [Fact]
    public void Add_SameClusterTwice_FirstKept()
    {
        var table = Table([]);

        table.Add(new BackendSpec(ClusterId, 0, []));

        Assert.Single(table.ToBackends()[ClusterId].Destinations);
    }
}
