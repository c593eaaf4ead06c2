using System.Globalization;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace Orleans.Proxy.Edge.IngressFeatures;

/// <summary>YARP's client factory plus proxy-connect-timeout, which YARP's cluster config does not carry.</summary>
internal sealed class IngressHttpClientFactory(ILogger<ForwarderHttpClientFactory> logger) : ForwarderHttpClientFactory(logger)
{
    public const string ConnectTimeoutKey = "orleans-proxy.connect-timeout";

    protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        base.ConfigureHandler(context, handler);
        if (ConnectTimeout(context.NewMetadata) is { } timeout)
        {
            handler.ConnectTimeout = timeout;
        }
    }

    protected override bool CanReuseOldClient(ForwarderHttpClientContext context) =>
        base.CanReuseOldClient(context) && ConnectTimeout(context.OldMetadata) == ConnectTimeout(context.NewMetadata);

    public static string Format(TimeSpan timeout) => timeout.ToString("c", CultureInfo.InvariantCulture);

    private static TimeSpan? ConnectTimeout(IReadOnlyDictionary<string, string>? metadata) =>
        metadata is not null && metadata.TryGetValue(ConnectTimeoutKey, out var text) ? TimeSpan.ParseExact(text, "c", CultureInfo.InvariantCulture) : null;
}
