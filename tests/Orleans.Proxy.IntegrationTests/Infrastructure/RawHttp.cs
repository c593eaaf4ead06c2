using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Orleans.Proxy.IntegrationTests.Infrastructure;

/// <summary>
/// HTTP/1.1 over a plain socket, for request targets HttpClient would clean up first (System.Uri
/// removes dot segments, unescapes some escapes, turns '\' into '/'): the target is sent byte for byte.
/// </summary>
internal static class RawHttp
{
    /// <summary>Sends "GET {target}" with the given Host; returns the status code and the body.</summary>
    public static async Task<(int Status, string Body)> GetAsync(IPEndPoint edge, string host, string target)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(edge);
        await using var stream = client.GetStream();
        var request = Encoding.UTF8.GetBytes($"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        await stream.WriteAsync(request);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var response = await reader.ReadToEndAsync();
        var status = int.Parse(response.AsSpan(9, 3), CultureInfo.InvariantCulture);
        var bodyStart = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var body = bodyStart < 0 ? string.Empty : response[(bodyStart + 4)..];
        if (response.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
        {
            body = Unchunk(body);
        }

        return (status, body);
    }

    /// <summary>
    /// Sends <paramref name="request"/> byte for byte (malformed on purpose: smuggling, folding, bare LF) and returns all the
    /// edge answered until it closed the connection or <paramref name="wait"/> ran out, whichever is first.
    /// </summary>
    public static async Task<string> ExchangeAsync(IPEndPoint edge, string request, TimeSpan wait)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(edge);
        await using var stream = client.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(request));
        using var timeout = new CancellationTokenSource(wait);
        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // Out of time, or the edge reset the connection: what arrived so far is the answer.
        }

        return Encoding.Latin1.GetString(received.ToArray());
    }

    private static string Unchunk(string chunked)
    {
        var result = new StringBuilder();
        var position = 0;
        while (position < chunked.Length)
        {
            var lineEnd = chunked.IndexOf("\r\n", position, StringComparison.Ordinal);
            var size = int.Parse(chunked.AsSpan(position, lineEnd - position), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (size == 0)
            {
                break;
            }

            result.Append(chunked, lineEnd + 2, size);
            position = lineEnd + 2 + size + 2;
        }

        return result.ToString();
    }
}
