using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.Edge.IngressFeatures;

/// <summary>ingress-nginx's canary decision: the header (its value, pattern, or "always"/"never") first, then the cookie, then the weight out of the total.</summary>
internal static class CanaryChooser
{
    private const string Always = "always";
    private const string Never = "never";

    /// <summary>canary-by-header-pattern compiled once per route configuration (its spec instance).</summary>
    private static readonly ConditionalWeakTable<CanarySpec, Regex> Patterns = new();

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
            else if (canary.HeaderPattern is { } pattern)
            {
                // As ingress-nginx: a match anywhere in the value sends it to the canary; "always" and "never" mean nothing here.
                if (Patterns.GetValue(canary, static c => new Regex(c.HeaderPattern!, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant)).IsMatch(value))
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

        return canary.Weight > 0 && Random.Shared.Next(canary.WeightTotal > 0 ? canary.WeightTotal : 100) < canary.Weight;
    }
}
