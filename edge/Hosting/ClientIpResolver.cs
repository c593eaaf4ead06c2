using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Orleans.Proxy.Edge.RateLimiting;

namespace Orleans.Proxy.Edge.Hosting;

/// <summary>
/// The client address a limit is keyed on: the socket peer, unless the peer is a trusted proxy,
/// in which case X-Forwarded-For is walked from the right (the entry the trusted proxy appended)
/// past further trusted proxies to the first address that is not one. Entries left of that are
/// whatever the client wrote, so they never count.
/// </summary>
internal sealed class ClientIpResolver(IOptions<RateLimitingOptions> options)
{
    private readonly IPNetwork[] _trusted = options.Value.ParsedTrustedProxies();

    public IPAddress Resolve(HttpContext context) =>
        Resolve(context.Connection.RemoteIpAddress ?? IPAddress.None, context.Request.Headers["X-Forwarded-For"], _trusted);

    public static IPAddress Resolve(IPAddress peer, StringValues forwardedFor, IReadOnlyList<IPNetwork> trusted)
    {
        var client = Normalize(peer);
        if (!IsTrusted(client, trusted))
        {
            return client;
        }

        // Every header line, every comma-separated entry, right to left.
        var entries = forwardedFor.SelectMany(v => (v ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToList();
        for (var i = entries.Count - 1; i >= 0; i--)
        {
            if (!TryParseEntry(entries[i], out var address))
            {
                // Garbage in a trusted proxy's chain: stop at the last address that could be read.
                return client;
            }

            client = Normalize(address);
            if (!IsTrusted(client, trusted))
            {
                return client;
            }
        }

        return client;
    }

    // "1.2.3.4", "1.2.3.4:5678", "::1" or "[::1]:5678".
    private static bool TryParseEntry(string entry, out IPAddress address)
    {
        if (IPAddress.TryParse(entry, out address!))
        {
            return true;
        }

        if (IPEndPoint.TryParse(entry, out var endpoint))
        {
            address = endpoint.Address;
            return true;
        }

        return false;
    }

    public static bool TryParseRange(string text, out IPNetwork network)
    {
        text = text.Trim();
        if (IPNetwork.TryParse(text, out network))
        {
            return true;
        }

        if (IPAddress.TryParse(text, out var address))
        {
            address = Normalize(address);
            network = new IPNetwork(address, address.GetAddressBytes().Length * 8);
            return true;
        }

        return false;
    }

    public static bool IsTrusted(IPAddress address, IReadOnlyList<IPNetwork> ranges)
    {
        foreach (var range in ranges)
        {
            if (range.Contains(address))
            {
                return true;
            }
        }

        return false;
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
