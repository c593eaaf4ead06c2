using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Orleans.Proxy.Affinity;
using Yarp.ReverseProxy.Model;

namespace Orleans.Proxy.Edge.Affinity;

/// <summary>
/// The affinity cookie. Its value is a random key and, after a dot, a hint naming the destination its
/// first request went to (a hash of the destination id: no address reaches the client). The hint lets
/// the edge that issues it place that request without a grain call, and lets whichever edge sees the
/// key next pin it there even if the destinations changed in between, as ingress-nginx's cookie names
/// its upstream. A client can choose its hint, as it can choose any key: both only pick a destination.
/// Attributes: ours (Path=/, HttpOnly, SameSite=Lax, Secure on HTTPS, Max-Age the TTL), or what
/// ingress-nginx's session-cookie-* annotations set.
/// </summary>
internal static partial class AffinityCookie
{
    private const int HintLength = 8;

    /// <summary>A new cookie value for a session placed on <paramref name="destination"/>.</summary>
    public static string Issue(DestinationState destination) =>
        $"{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))}.{Hint(destination.DestinationId)}";

    /// <summary>The destination among <paramref name="available"/> that <paramref name="value"/>'s hint names; null without a hint or when none is available.</summary>
    public static DestinationState? Hinted(string value, IReadOnlyList<DestinationState> available)
    {
        var dot = value.Length - HintLength - 1;
        if (dot < 1 || value[dot] != '.')
        {
            return null;
        }

        var hint = value.AsSpan(dot + 1);
        for (var i = 0; i < available.Count; i++)
        {
            if (hint.SequenceEqual(Hint(available[i].DestinationId)))
            {
                return available[i];
            }
        }

        return null;
    }

    private static string Hint(string destinationId) => Convert.ToHexStringLower(XxHash32.Hash(Encoding.UTF8.GetBytes(destinationId)));

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
