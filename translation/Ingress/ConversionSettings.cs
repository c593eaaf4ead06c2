namespace Orleans.Proxy.Translation.Ingress;

/// <summary>Controller-wide settings of a conversion: defaults where an Ingress says nothing (ingress-nginx's ConfigMap), and which GatewayClasses are ours.</summary>
/// <param name="SslRedirect">Redirect plain HTTP to https for hosts with a certificate, unless an Ingress's ssl-redirect says otherwise.</param>
/// <param name="GatewayControllerName">The controllerName of the GatewayClasses this controller serves.</param>
public sealed record ConversionSettings(bool SslRedirect = true, string GatewayControllerName = ConversionSettings.DefaultGatewayControllerName)
{
    public const string DefaultGatewayControllerName = "orleans-proxy.io/gateway-controller";

    public static ConversionSettings Default { get; } = new();
}
