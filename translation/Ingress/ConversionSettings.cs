namespace Orleans.Proxy.Translation.Ingress;

/// <summary>Controller-wide defaults the conversion applies where an Ingress says nothing (ingress-nginx's ConfigMap).</summary>
/// <param name="SslRedirect">Redirect plain HTTP to https for hosts with a certificate, unless an Ingress's ssl-redirect says otherwise.</param>
public sealed record ConversionSettings(bool SslRedirect = true)
{
    public static ConversionSettings Default { get; } = new();
}
