using Orleans.Proxy.Translation.Files;
using Orleans.Proxy.Translation.Ingress;
using Orleans.Proxy.Silo.Publishing;

namespace Orleans.Proxy.UnitTests.Routing;

/// <summary>Routes:SslRedirect (ingress-nginx's ConfigMap key ssl-redirect) and the per-Ingress annotation that overrides it.</summary>
public sealed class SslRedirectSettingTests
{
    private const string Host = "secure.example.com";

    /// <summary>The tls golden case: shop/secure gives secure.example.com a valid certificate.</summary>
    private static bool SslRedirect(ConversionSettings? settings, string? annotation = null)
    {
        var yaml = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Routing", "golden", "tls", "input.yaml"));
        if (annotation is not null)
        {
            yaml = yaml.Replace("metadata: {name: secure, namespace: shop,",
                $"metadata: {{annotations: {{nginx.ingress.kubernetes.io/ssl-redirect: \"{annotation}\"}}, name: secure, namespace: shop,", StringComparison.Ordinal);
        }

        var desired = IngressConverter.Convert(KubernetesYamlReader.Read("input.yaml", yaml).Objects, settings);
        return desired.Hosts[Host].Single(r => r.RouteId == "shop/secure#0.0").SslRedirect;
    }

    [Fact]
    public void Convert_HostWithTlsAndNoSetting_Redirects() => Assert.True(SslRedirect(null));

    [Fact]
    public void Convert_GlobalSslRedirectOff_DoesNotRedirect() => Assert.False(SslRedirect(new ConversionSettings(SslRedirect: false)));

    [Fact]
    public void Convert_AnnotationOn_OverridesGlobalOff() => Assert.True(SslRedirect(new ConversionSettings(SslRedirect: false), annotation: "true"));

    [Fact]
    public void Convert_AnnotationOff_OverridesGlobalOn() => Assert.False(SslRedirect(new ConversionSettings(SslRedirect: true), annotation: "false"));

    [Fact]
    public void RoutesOptions_SslRedirect_OnByDefault() => Assert.True(new RoutesOptions().Conversion.SslRedirect);
}
