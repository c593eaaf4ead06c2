using System.ComponentModel.DataAnnotations;
using Orleans.Proxy.Translation.Ingress;

namespace Orleans.Proxy.Silo.Publishing;

/// <summary>Section "Routes": where routes come from and how often the grains are rewritten.</summary>
public sealed class RoutesOptions
{
    public const string Section = "Routes";

    /// <summary>Files: Ingress YAML from <see cref="Directory"/>. Kubernetes: the ingress controller (section IngressController).</summary>
    public RouteSource Source { get; set; } = RouteSource.Files;

    /// <summary>
    /// Plain HTTP to a host with a certificate in spec.tls is redirected (308) to https, as ingress-nginx
    /// does by default (its ConfigMap key ssl-redirect). An Ingress's nginx.ingress.kubernetes.io/ssl-redirect
    /// annotation overrides this for its routes.
    /// </summary>
    public bool SslRedirect { get; set; } = true;

    /// <summary>
    /// spec.controllerName of the GatewayClasses whose Gateways and HTTPRoutes this proxy serves, from
    /// files and from the cluster.
    /// </summary>
    [RegularExpression(@"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?/[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$", ErrorMessage = "Routes:GatewayControllerName must be a domain-prefixed path, e.g. example.com/gateway-controller")]
    public string GatewayControllerName { get; set; } = ConversionSettings.DefaultGatewayControllerName;

    /// <summary>
    /// "namespace/name" of the controller ConfigMap: ingress-nginx's global settings (docs/configmap.md), read from
    /// the cluster (that one ConfigMap is watched) or, in file mode, from the route folder; a change applies
    /// without a restart. Its ssl-redirect wins over <see cref="SslRedirect"/>. Empty: none is read.
    /// </summary>
    [RegularExpression("^([a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-a-z0-9.]*[a-z0-9])?)?$", ErrorMessage = "Routes:ConfigMap must be namespace/name, e.g. orleans-proxy/orleans-proxy-controller")]
    public string? ConfigMap { get; set; } = ConversionSettings.DefaultConfigMap;

    public ConversionSettings Conversion => new(SslRedirect, GatewayControllerName) { ConfigMap = string.IsNullOrEmpty(ConfigMap) ? null : ConfigMap };

    /// <summary>Folder of Kubernetes YAML files (file mode). Empty: no file source.</summary>
    public string? Directory { get; set; }

    /// <summary>Full rewrite of every grain, the safety net for state lost in a crash; in file mode also a reading of every file, the safety net for lost watcher events.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan ResyncInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Wait from the first file event of a change before reading, so a half-written file is not read.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10")]
    public TimeSpan FileDebounce { get; set; } = TimeSpan.FromMilliseconds(50);
}

public enum RouteSource
{
    Files,
    Kubernetes,
}
