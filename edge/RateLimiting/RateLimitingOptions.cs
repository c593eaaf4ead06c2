using System.ComponentModel.DataAnnotations;
using System.Net;
using Orleans.Proxy.Edge.Hosting;

namespace Orleans.Proxy.Edge.RateLimiting;

/// <summary>Section "RateLimiting".</summary>
public sealed class RateLimitingOptions : IValidatableObject
{
    public const string Section = "RateLimiting";

    /// <summary>
    /// Proxies (CIDR or address) whose X-Forwarded-For is believed, e.g. the cloud load balancer.
    /// From anyone else the client address is the socket's, so a client cannot pick its own.
    /// </summary>
    public List<string> TrustedProxies { get; set; } = [];

    /// <summary>An edge asks for about this long's worth of tokens at its recent rate; tokens stay valid twice as long.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan LeaseLength { get; set; } = TimeSpan.FromSeconds(1);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        for (var i = 0; i < TrustedProxies.Count; i++)
        {
            if (!ClientIpResolver.TryParseRange(TrustedProxies[i], out _))
            {
                yield return new ValidationResult(
                    $"{Section}:{nameof(TrustedProxies)}:{i} '{TrustedProxies[i]}' is not a CIDR range or IP address (e.g. 10.0.0.0/8)",
                    [nameof(TrustedProxies)]);
            }
        }
    }

    // Validated on start, so every entry parses here.
    internal IPNetwork[] ParsedTrustedProxies() =>
        [.. TrustedProxies.Select(p => ClientIpResolver.TryParseRange(p, out var n) ? n
            : throw new ValidationException($"{Section}:{nameof(TrustedProxies)} '{p}' is not a CIDR range or IP address"))];
}
