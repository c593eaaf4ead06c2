using Microsoft.AspNetCore.Http;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.Edge.IngressFeatures;

/// <summary>ingress-nginx's canary decision: the header first, then the cookie, then the weight.</summary>
internal static class CanaryChooser
{
    private const string Always = "always";
    private const string Never = "never";

    public static bool ToCanary(HttpRequest request, CanarySpec canary)
    {
        if (canary.Header is { } header && request.Headers.TryGetValue(header, out var values) && values.ToString() is { Length: > 0 } value)
        {
            if (canary.HeaderValue is { } wanted)
            {
                // With a header value, only that value decides; any other value falls through.
                if (value == wanted)
                {
                    return true;
                }
            }
            else if (value == Always)
            {
                return true;
            }
            else if (value == Never)
            {
                return false;
            }
        }

        if (canary.Cookie is { } cookie && request.Cookies.TryGetValue(cookie, out var cookieValue))
        {
            if (cookieValue == Always)
            {
                return true;
            }

            if (cookieValue == Never)
            {
                return false;
            }
        }

        return canary.Weight > 0 && Random.Shared.Next(100) < canary.Weight;
    }
}
