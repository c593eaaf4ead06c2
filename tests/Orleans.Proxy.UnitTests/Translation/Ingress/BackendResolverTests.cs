using k8s.Models;
using Orleans.Proxy.Routing;
using Orleans.Proxy.Translation.Ingress;
using Orleans.Proxy.Translation.Ingress.Backends;

namespace Orleans.Proxy.UnitTests.Translation.Ingress;

public sealed class BackendResolverTests
{
    private const string Source = "Ingress shop/web";

    private static readonly V1Service Web = new()
    {
        Metadata = new() { Name = "web", NamespaceProperty = "shop" },
        Spec = new() { Ports = [new() { Port = 80, Name = "http" }, new() { Port = 443, Name = "tls" }] },
    };

    private static V1EndpointSlice Slice(string name, string service, string portName, int port, params V1Endpoint[] endpoints) => new()
    {
        AddressType = "IPv4",
        Endpoints = [.. endpoints],
        Metadata = new() { Name = name, NamespaceProperty = "shop", Labels = new Dictionary<string, string> { [BackendResolver.ServiceNameLabel] = service } },
        Ports = [new() { Name = portName, Port = port }],
    };

    private static V1Endpoint Endpoint(string address, bool? ready = true, bool? terminating = null) =>
        new() { Addresses = [address], Conditions = new() { Ready = ready, Terminating = terminating } };

    private static V1IngressBackend Backend(string service, int? number = null, string? name = null) =>
        new() { Service = new() { Name = service, Port = new() { Name = name, Number = number } } };

    private static BackendResolver Resolver(params V1EndpointSlice[] slices) => new(new ClusterIndex(new ClusterObjects([], [Web], [.. slices])));

    [Fact]
    public void Resolve_PortByNumber_ClusterIdAndReadyEndpointsOfTheMatchingSlicePort()
    {
        var resolver = Resolver(
            Slice("web-1", "web", "http", 8080, Endpoint("10.0.0.2"), Endpoint("10.0.0.1", ready: null), Endpoint("10.0.0.3", ready: false), Endpoint("10.0.0.4", terminating: true), Endpoint("not-an-ip")),
            Slice("web-2", "web", "tls", 8443, Endpoint("10.0.0.9")),
            Slice("other", "api", "http", 8080, Endpoint("10.0.1.1")));
        var rejections = new List<Rejection>();

        var backend = resolver.Resolve(Source, "spec.defaultBackend", "shop", Backend("web", number: 80), rejections);

        Assert.Empty(rejections);
        Assert.Equal("shop/web:80", backend?.ClusterId);
        Assert.Equal(["10.0.0.1:8080", "10.0.0.2:8080"], backend!.Destinations.Select(d => d.Id));
        Assert.Equal("http://10.0.0.1:8080", backend.Destinations[0].Address);
    }

    [Fact]
    public void Resolve_PortByName_ClusterIdNamesThePort()
    {
        var backend = Resolver(Slice("web-2", "web", "tls", 8443, Endpoint("10.0.0.9"))).Resolve(Source, "f", "shop", Backend("web", name: "tls"), new List<Rejection>());

        Assert.Equal("shop/web:tls", backend?.ClusterId);
        Assert.Equal("10.0.0.9:8443", Assert.Single(backend!.Destinations).Id);
    }

    [Fact]
    public void Resolve_SameBackendTwice_SameSpec()
    {
        var resolver = Resolver(Slice("web-1", "web", "http", 8080, Endpoint("10.0.0.1")));

        Assert.Same(resolver.Resolve(Source, "f", "shop", Backend("web", number: 80), new List<Rejection>()), resolver.Resolve(Source, "g", "shop", Backend("web", number: 80), new List<Rejection>()));
    }

    [Theory]
    [InlineData("", 80, null, "f.service.name", "the backend names no Service")]
    [InlineData("nope", 80, null, "f.service.name", "Service 'shop/nope' does not exist")]
    [InlineData("web", 81, null, "f.service.port.number", "Service 'shop/web' has no port 81")]
    [InlineData("web", null, "grpc", "f.service.port.name", "Service 'shop/web' has no port named 'grpc'")]
    [InlineData("web", null, null, "f.service.port", "the backend names no port: set port.number or port.name")]
    public void Resolve_NoSuchServicePort_NullAndRejectionAtTheField(string service, int? number, string? portName, string field, string reason)
    {
        var rejections = new List<Rejection>();

        Assert.Null(Resolver().Resolve(Source, "f", "shop", Backend(service, number, portName), rejections));
        Assert.Equal(new Rejection(Source, field, reason), Assert.Single(rejections));
    }

    [Fact]
    public void Resolve_ResourceBackend_Rejected()
    {
        var rejections = new List<Rejection>();

        Assert.Null(Resolver().Resolve(Source, "f", "shop", new V1IngressBackend { Resource = new() { Kind = "Bucket", Name = "b" } }, rejections));
        Assert.Equal(new Rejection(Source, "f.resource", "resource backends are not supported; use a Service backend"), Assert.Single(rejections));
    }

    [Fact]
    public void Resolve_ExternalNameService_Rejected()
    {
        var external = new V1Service { Metadata = new() { Name = "ext", NamespaceProperty = "shop" }, Spec = new() { Type = "ExternalName", ExternalName = "example.com" } };
        var rejections = new List<Rejection>();

        Assert.Null(new BackendResolver(new ClusterIndex(new ClusterObjects([], [external], []))).Resolve(Source, "f", "shop", Backend("ext", number: 80), rejections));
        Assert.Equal("Service 'shop/ext' is of type ExternalName, which is not supported", Assert.Single(rejections).Reason);
    }
}
