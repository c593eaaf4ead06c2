using Orleans.Proxy.Routing;
using Orleans.Proxy.Translation.Annotations;
using Orleans.Proxy.Translation.Ingress.Canary;
using Orleans.Proxy.Translation.Ingress.Conflicts;

namespace Orleans.Proxy.UnitTests.Translation.Ingress;

public sealed class CanaryAttacherTests
{
    private static readonly NginxCanarySettings ByHeader = new(10, "X-Canary", null, "canary");

    private readonly List<Rejection> _rejections = [];
    private readonly RouteTable _routes;
    private readonly BackendTable _backends;
    private readonly CanaryAttacher _attacher;

    public CanaryAttacherTests()
    {
        _routes = new RouteTable(_rejections);
        _backends = new BackendTable(_rejections);
        _attacher = new CanaryAttacher(_routes, _backends, _rejections);
        _backends.Add(new BackendSpec("shop/web:80", 0, [new DestinationSpec("10.0.0.1:8080", "http://10.0.0.1:8080")]));
        _backends.Add(new BackendSpec("shop/canary:80", 0, [new DestinationSpec("10.0.0.3:8080", "http://10.0.0.3:8080")]));
    }

    private static RouteSpec Route(string id, string clusterId, string source, string path = "/") =>
        new(id, "shop.example.com", path, PathMatchKind.Prefix, [], [], clusterId, source);

    private static RouteSpec Canary(string path = "/") => Route("shop/main-canary#0.0", "shop/canary:80", "Ingress shop/main-canary", path);

    [Fact]
    public void Attach_MainServesHostAndPath_MainRouteGetsTheCanary()
    {
        _routes.Add(Route("shop/main#0.0", "shop/web:80", "Ingress shop/main"), "f");

        Assert.True(_attacher.Attach(Canary(), ByHeader, "spec.rules[0].http.paths[0]"));

        Assert.Empty(_rejections);
        var main = Assert.Single(_routes.ToHosts()["shop.example.com"]);
        Assert.Equal(new CanarySpec("shop/canary:80", "Ingress shop/main-canary", 10, "X-Canary", null, "canary"), main.Canary);
        Assert.Equal("shop/web:80", main.ClusterId);
    }

    [Fact]
    public void Attach_MainBackendHasProtocol_CanaryBackendTakesIt()
    {
        _routes.Add(Route("shop/main#0.0", "shop/web:80", "Ingress shop/main"), "f");
        _backends.ApplySettings("Ingress shop/main", "shop/web:80", new NginxBackendSettings(BackendProtocol.Https, null, TimeSpan.FromSeconds(30)));

        _attacher.Attach(Canary(), ByHeader, "f");

        var canary = _backends.ToBackends()["shop/canary:80"];
        Assert.Equal((BackendProtocol.Https, TimeSpan.FromSeconds(30)), (canary.Protocol, canary.ActivityTimeout));
        Assert.Equal("https://10.0.0.3:8080", Assert.Single(canary.Destinations).Address);
    }

    [Fact]
    public void Attach_NoMainForThePath_Rejected()
    {
        _routes.Add(Route("shop/main#0.0", "shop/web:80", "Ingress shop/main", "/other"), "f");

        Assert.False(_attacher.Attach(Canary(), ByHeader, "spec.rules[0].http.paths[0]"));

        Assert.Equal(
            new Rejection("Ingress shop/main-canary", "spec.rules[0].http.paths[0]", "a canary needs a main Ingress with host 'shop.example.com' and path '/' (Prefix); none serves it"),
            Assert.Single(_rejections));
    }

    [Fact]
    public void Attach_SecondCanaryForThePath_RejectedFirstKept()
    {
        _routes.Add(Route("shop/main#0.0", "shop/web:80", "Ingress shop/main"), "f");
        _attacher.Attach(Canary(), ByHeader, "f");

        Assert.False(_attacher.Attach(Route("shop/second#0.0", "shop/canary:80", "Ingress shop/second"), ByHeader, "spec.rules[0].http.paths[0]"));

        Assert.Equal("route shop/main#0.0 already has the canary Ingress shop/main-canary; only one canary per host and path", Assert.Single(_rejections).Reason);
        Assert.Equal("Ingress shop/main-canary", _routes.ToHosts()["shop.example.com"].Single().Canary?.Source);
    }
}
