using Orleans.Proxy.Caching;
using Orleans.Proxy.Routing;
using Orleans.Proxy.Translation.Annotations;
using Orleans.Proxy.Translation.Files;
using Orleans.Proxy.Translation.Ingress;
using Orleans.Proxy.Testing;

namespace Orleans.Proxy.UnitTests.Caching;

public sealed class CacheAnnotationsTests
{
    private static (RouteSpec Route, IReadOnlyList<Rejection> Rejections) Convert(Dictionary<string, string> annotations)
    {
        var yaml = Manifests.ServiceFor("web") + "---\n" + Manifests.IngressWithAnnotations("app", "app.test", annotations, ("/", "Prefix", "web"));
        var state = IngressConverter.Convert(KubernetesYamlReader.Read("test.yaml", yaml).Objects);
        return (Assert.Single(state.Hosts["app.test"]), state.Rejections);
    }

    [Fact]
    public void Convert_CacheTrue_RouteCachedWithDefaults()
    {
        var (route, rejections) = Convert(new() { [AnnotationTable.Cache.Name] = "true" });

        Assert.Empty(rejections);
        Assert.NotNull(route.Cache);
        Assert.Null(route.Cache.DefaultTtl);
        Assert.Empty(route.Cache.ContentTypes);
        Assert.Null(route.Cache.MaxObjectSize);
    }

    [Fact]
    public void Convert_AllSettings_Read()
    {
        var (route, rejections) = Convert(new()
        {
            [AnnotationTable.Cache.Name] = "true",
            [AnnotationTable.CacheDefaultTtl.Name] = "5m",
            [AnnotationTable.CacheContentTypes.Name] = "text/html, Image/*",
            [AnnotationTable.CacheMaxObjectSize.Name] = "512k",
            [AnnotationTable.CacheVaryHeaders.Name] = "X-Tenant, Accept-Language",
            [AnnotationTable.CacheStaleIfError.Name] = "90",
        });

        Assert.Empty(rejections);
        var cache = route.Cache!;
        Assert.Equal(TimeSpan.FromMinutes(5), cache.DefaultTtl);
        Assert.Equal(["text/html", "image/*"], cache.ContentTypes.ToArray());
        Assert.Equal(512 * 1024, cache.MaxObjectSize);
        Assert.Equal(["accept-language", "x-tenant"], cache.VaryHeaders.ToArray());
        Assert.Equal(TimeSpan.FromSeconds(90), cache.StaleIfError);
    }

    [Fact]
    public void Convert_SettingsWithoutCacheTrue_RejectedAsNoEffect()
    {
        var (route, rejections) = Convert(new() { [AnnotationTable.CacheDefaultTtl.Name] = "60s" });

        Assert.Null(route.Cache);
        var rejection = Assert.Single(rejections);
        Assert.Equal($"metadata.annotations[{AnnotationTable.CacheDefaultTtl.Name}]", rejection.Field);
        Assert.Contains("no effect", rejection.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("orleans-proxy.io/cache-default-ttl", "soon")]
    [InlineData("orleans-proxy.io/cache-max-object-size", "big")]
    [InlineData("orleans-proxy.io/cache-content-types", "html")]
    [InlineData("orleans-proxy.io/cache-vary-headers", "bad header")]
    public void Convert_MalformedSetting_RejectedAlone_CachingStaysOn(string annotation, string value)
    {
        var (route, rejections) = Convert(new() { [AnnotationTable.Cache.Name] = "true", [annotation] = value });

        Assert.NotNull(route.Cache);
        Assert.Equal($"metadata.annotations[{annotation}]", Assert.Single(rejections).Field);
    }

    [Fact]
    public void Convert_CacheNotABoolean_RejectedAndOff()
    {
        var (route, rejections) = Convert(new() { [AnnotationTable.Cache.Name] = "yes" });

        Assert.Null(route.Cache);
        Assert.Single(rejections);
    }
}
