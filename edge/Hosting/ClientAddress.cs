using Microsoft.AspNetCore.Http;

namespace Orleans.Proxy.Edge.Hosting;

/// <summary>
/// The client's address as this edge's socket sees it (an IPv4 client over a dual-stack socket
/// reads as IPv4). Forwarded headers are not read: a client could set them to anything.
/// </summary>
internal static class ClientAddress
{
    public static string? Of(HttpContext context)
    {
        var address = context.Connection.RemoteIpAddress;
        if (address is null)
        {
            return null;
        }

        return (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
    }
}
