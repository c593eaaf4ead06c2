namespace Orleans.Proxy.Translation.Ingress;

/// <summary>Controller-wide settings of a conversion: defaults where an Ingress says nothing (ingress-nginx's ConfigMap), and which GatewayClasses are ours.</summary>
/// <param name="SslRedirect">Redirect plain HTTP to https for hosts with a certificate, unless an Ingress's ssl-redirect says otherwise.</param>
/// <param name="GatewayControllerName">The controllerName of the GatewayClasses this controller serves.</param>
public sealed record ConversionSettings(bool SslRedirect = true, string GatewayControllerName = ConversionSettings.DefaultGatewayControllerName)
{
    public const string DefaultGatewayControllerName = "orleans-proxy.io/gateway-controller";

    /// <summary>The controller ConfigMap's default "namespace/name".</summary>
    public const string DefaultConfigMap = "orleans-proxy/orleans-proxy-controller";

    public static ConversionSettings Default { get; } = new();

    /// <summary>
    /// "namespace/name" of the controller ConfigMap (ingress-nginx's --configmap) among the objects converted;
    /// its keys override these settings (<see cref="Settings.ControllerConfig"/>). Null: none is read.
    /// </summary>
    public string? ConfigMap { get; init; }

    /// <summary>Global defaults from the ConfigMap's keys; <see cref="ControllerDefaults.None"/> without one.</summary>
    public ControllerDefaults Defaults { get; init; } = ControllerDefaults.None;
}

/// <summary>The controller ConfigMap's defaults for Ingress routes and their backends (null: this proxy's own default).</summary>
public sealed record ControllerDefaults
{
    public static ControllerDefaults None { get; } = new();

    /// <summary>The Strict-Transport-Security value HTTPS responses carry (hsts, hsts-max-age, hsts-include-subdomains, hsts-preload); null: none.</summary>
    public string? StrictTransportSecurity { get; init; }

    /// <summary>compute-full-forwarded-for: the client's address is appended to the X-Forwarded-For it sent, instead of replacing it.</summary>
    public bool AppendForwardedFor { get; init; }

    /// <summary>proxy-body-size for routes without the annotation.</summary>
    public long? ProxyBodySize { get; init; }

    public TimeSpan? ProxyConnectTimeout { get; init; }

    public TimeSpan? ProxyReadTimeout { get; init; }

    public TimeSpan? ProxySendTimeout { get; init; }

    /// <summary>limit-req-status-code: the status of a request a rate limit refuses; null: 429.</summary>
    public int? LimitReqStatusCode { get; init; }
}
