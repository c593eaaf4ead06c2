using Orleans.Proxy.Routing;
using Orleans.Proxy.Translation.Ingress.Authentication;

namespace Orleans.Proxy.Translation.Annotations;

/// <summary>The authentication an Ingress asks of the edge: Basic (auth-type), external (auth-url), or both.</summary>
internal sealed record AuthSettings(BasicAuthSpec? Basic, ExternalAuthSpec? External)
{
    public static AuthSettings None { get; } = new(null, null);

    public RouteSpec ApplyTo(RouteSpec route) => route with { BasicAuth = Basic, ExternalAuth = External };
}

/// <summary>
/// ingress-nginx's auth-type/auth-secret/auth-realm and auth-url annotations of one Ingress. Any value
/// that does not parse, and a Secret that cannot serve, refuse the whole Ingress: serving it without
/// the authentication it asks for would widen access.
/// </summary>
internal static class AuthAnnotations
{
    /// <summary>The settings, or null when the Ingress must be refused (a rejection says why).</summary>
    public static AuthSettings? Read(AnnotationReader annotations, string ns, BasicAuthSecrets secrets)
    {
        var basic = ReadBasic(annotations, ns, secrets, out var basicOk);
        var external = ReadExternal(annotations, out var externalOk);
        return basicOk && externalOk ? new AuthSettings(basic, external) : null;
    }

    /// <summary>The Secret's "namespace/name" an auth-secret value names, or null when it names another namespace.</summary>
    public static string? SecretKey(string reference, string ns) =>
        reference.Split('/') is [var secretNs, var name] ? (secretNs == ns ? $"{ns}/{name}" : null) : $"{ns}/{reference}";

    private static BasicAuthSpec? ReadBasic(AnnotationReader annotations, string ns, BasicAuthSecrets secrets, out bool ok)
    {
        var type = annotations.Read(AnnotationTable.NginxAuthType);
        ok = !type.IsInvalid;
        if (type.IsInvalid)
        {
            return null;
        }

        if (type.IsAbsent)
        {
            foreach (var row in new AnnotationDefinition[] { AnnotationTable.NginxAuthSecret, AnnotationTable.NginxAuthSecretType, AnnotationTable.NginxAuthRealm }.Where(annotations.IsSet))
            {
                annotations.Reject(row.Name, $"has no effect without {AnnotationTable.NginxAuthType.Name}: basic");
            }

            return null;
        }

        var reference = annotations.Read(AnnotationTable.NginxAuthSecret);
        var isMap = annotations.Read(AnnotationTable.NginxAuthSecretType);
        var realm = annotations.Read(AnnotationTable.NginxAuthRealm).Value ?? "";
        if (reference.IsInvalid || isMap.IsInvalid)
        {
            ok = false;
            return null;
        }

        var name = AnnotationTable.NginxAuthSecret.Name;
        if (reference.Value is not { } secretName)
        {
            annotations.Reject(name, $"auth-type basic needs a Secret of users; the Ingress is refused, since serving it without authentication would widen access");
            ok = false;
            return null;
        }

        if (SecretKey(secretName, ns) is not { } key)
        {
            annotations.Reject(name, $"'{secretName}' is in another namespace: the Secret must be in the Ingress's namespace '{ns}'; the Ingress is refused");
            ok = false;
            return null;
        }

        var (users, refused, error) = secrets.Read(key, isMap.Value);
        foreach (var line in refused)
        {
            annotations.Reject(name, line);
        }

        if (error is not null)
        {
            annotations.Reject(name, $"{error}; the Ingress is refused, since serving it without authentication would widen access");
            ok = false;
            return null;
        }

        return new BasicAuthSpec(realm, users);
    }

    private static ExternalAuthSpec? ReadExternal(AnnotationReader annotations, out bool ok)
    {
        var url = annotations.Read(AnnotationTable.NginxAuthUrl);
        ok = !url.IsInvalid;
        if (url.IsInvalid)
        {
            return null;
        }

        var dependent = new AnnotationDefinition[]
        {
            AnnotationTable.NginxAuthMethod, AnnotationTable.NginxAuthSignin, AnnotationTable.NginxAuthSigninRedirectParam,
            AnnotationTable.NginxAuthResponseHeaders, AnnotationTable.NginxAuthRequestRedirect,
        };
        if (url.IsAbsent)
        {
            foreach (var row in dependent.Where(annotations.IsSet))
            {
                annotations.Reject(row.Name, $"has no effect without {AnnotationTable.NginxAuthUrl.Name}");
            }

            return null;
        }

        var method = annotations.Read(AnnotationTable.NginxAuthMethod);
        var signIn = annotations.Read(AnnotationTable.NginxAuthSignin);
        var parameter = annotations.Read(AnnotationTable.NginxAuthSigninRedirectParam);
        var headers = annotations.Read(AnnotationTable.NginxAuthResponseHeaders);
        var redirect = annotations.Read(AnnotationTable.NginxAuthRequestRedirect);
        ok = !method.IsInvalid && !signIn.IsInvalid && !parameter.IsInvalid && !headers.IsInvalid;
        return ok ? new ExternalAuthSpec(url.Value!, method.Value, signIn.Value, headers.Value, redirect.Value, parameter.Value) : null;
    }
}
