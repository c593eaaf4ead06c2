using k8s.Models;
using Orleans.Proxy.Silo.RouteSources.Kubernetes;

namespace Orleans.Proxy.UnitTests.Kubernetes.Controller;

public sealed class IngressClassFilterTests
{
    private const string Controller = "orleans-proxy.io/ingress-controller";

    [Fact]
    public void Ours_ClassNameLegacyAnnotationAndDefault_SelectExactlyOurIngresses()
    {
        var classes = new[] { Class("ours", Controller, isDefault: false), Class("nginx", "k8s.io/ingress-nginx", isDefault: true) };
        var ingresses = new[]
        {
            Ingress("by-name", className: "ours"),
            Ingress("by-annotation", legacy: "ours"),
            Ingress("theirs", className: "nginx"),
            Ingress("theirs-legacy", legacy: "nginx"),
            Ingress("unknown-class", className: "missing"),
            Ingress("class-less"),
        };

        Assert.Equal(["by-name", "by-annotation"], IngressClassFilter.Ours(classes, ingresses, Controller).Select(i => i.Metadata.Name));
    }

    [Fact]
    public void Ours_OurClassIsDefault_AlsoSelectsClassLessIngresses()
    {
        var classes = new[] { Class("ours", Controller, isDefault: true) };
        var ingresses = new[] { Ingress("class-less"), Ingress("theirs", className: "nginx") };

        Assert.Equal(["class-less"], IngressClassFilter.Ours(classes, ingresses, Controller).Select(i => i.Metadata.Name));
    }

    private static V1IngressClass Class(string name, string controller, bool isDefault) => new()
    {
        Metadata = new()
        {
            Name = name,
            Annotations = isDefault ? new Dictionary<string, string> { [IngressClassFilter.DefaultClassAnnotation] = "true" } : null,
        },
        Spec = new() { Controller = controller },
    };

    private static V1Ingress Ingress(string name, string? className = null, string? legacy = null) => new()
    {
        Metadata = new()
        {
            Name = name,
            Annotations = legacy is null ? null : new Dictionary<string, string> { [IngressClassFilter.LegacyClassAnnotation] = legacy },
        },
        Spec = new() { IngressClassName = className },
    };
}
