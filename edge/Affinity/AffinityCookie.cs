using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Orleans.Proxy.Affinity;

namespace Orleans.Proxy.Edge.Affinity;

/// <summary>
/// The attributes of the affinity cookie: ours (Path=/, HttpOnly, SameSite=Lax, Secure on HTTPS,
/// Max-Age the TTL), or what ingress-nginx's session-cookie-* annotations set.
/// </summary>
internal static partial class AffinityCookie
{
    /// <summary>
    /// Browsers that reject a cookie with SameSite=None or read it as Strict (Chrome 51 to 66, Safari on iOS 12 and
    /// macOS 10.14, embedded WebViews on them, UC Browser before 12.13.2), from the Chromium project's published list.
    /// </summary>
    [GeneratedRegex(@"Chrom(e|ium)/(5[1-9]|6[0-6])\.|\(iP.+; CPU .*OS 12[_\d]*.*\) AppleWebKit/|\(Macintosh;.*Mac OS X 10_14[_\d]*.*\) AppleWebKit/.*(Version/.* Safari/|\(KHTML, like Gecko\)$)|UCBrowser/([0-9]|1[01])\.|UCBrowser/12\.([0-9]|1[0-2])\.|UCBrowser/12\.13\.[01]\b",
        RegexOptions.NonBacktracking | RegexOptions.CultureInvariant)]
    private static partial Regex SameSiteNoneIncompatible();

    public static CookieOptions Options(AffinitySpec spec, HttpRequest request)
    {
        var sameSite = spec.CookieSameSite switch
        {
            "None" when spec.CookieConditionalSameSiteNone && SameSiteNoneIncompatible().IsMatch(request.Headers.UserAgent.ToString()) => SameSiteMode.Unspecified,
            "None" => SameSiteMode.None,
            "Strict" => SameSiteMode.Strict,
            _ => SameSiteMode.Lax,
        };
        return new CookieOptions
        {
            Path = spec.CookiePath ?? "/",
            HttpOnly = true,
            IsEssential = true,
            SameSite = sameSite,
            // Browsers drop SameSite=None without Secure.
            Secure = request.IsHttps || spec.CookieSecure || sameSite == SameSiteMode.None,
            MaxAge = spec.Ttl,
            Expires = spec.CookieExpires is { } lifetime ? DateTimeOffset.UtcNow + lifetime : null,
        };
    }
}
