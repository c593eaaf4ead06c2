using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Orleans.Proxy.Security;

/// <summary>
/// Least privilege on the silo side: a <see cref="RouteSourceOnlyAttribute"/> method runs only when
/// its caller is inside a silo (a grain, or code of the silo process such as the route source);
/// from a cluster client (an edge, or any other process that got through the gateway) it is refused.
/// </summary>
/// <remarks>
/// The caller is Orleans' sending id of the call: a cluster client's calls carry its client id, and
/// calls made by code of a silo process outside a grain carry that silo's hosted-client id
/// ("hosted-" and the silo address). Orleans' gateway does not check the id a client sends, so a
/// client built to lie could pass for a silo: mutual TLS (only holders of a cluster certificate
/// reach the gateway) is the boundary against strangers, and this filter keeps a genuine edge, or a
/// bug in one, from writing.
/// </remarks>
internal sealed partial class RouteSourceOnlyCallFilter(ILogger<RouteSourceOnlyCallFilter> logger) : IIncomingGrainCallFilter
{
    private const string HostedClientPrefix = "hosted-";
    private static readonly ConcurrentDictionary<MethodInfo, bool> Marked = new();

    public Task Invoke(IIncomingGrainCallContext context)
    {
        if (IsRouteSourceOnly(context.InterfaceMethod) && !IsInsideSilo(context.SourceId))
        {
            LogRefused(context.InterfaceName, context.MethodName, context.TargetId, context.SourceId?.ToString() ?? "unknown");
            throw new RouteSourceOnlyException(
                $"{context.InterfaceName}.{context.MethodName} is written only by the route source inside a silo; " +
                $"a cluster client (edge) may read this state but not write it (caller {context.SourceId?.ToString() ?? "unknown"})");
        }

        return context.Invoke();
    }

    internal static bool IsRouteSourceOnly(MethodInfo method) =>
        Marked.GetOrAdd(method, m => m.IsDefined(typeof(RouteSourceOnlyAttribute), inherit: true));

    /// <summary>A grain or a silo's own hosted client; not a cluster client nor one of its observers; an unknown caller is refused.</summary>
    internal static bool IsInsideSilo(GrainId? source) =>
        source is { } id && (!id.IsClient() || id.Key.ToString().StartsWith(HostedClientPrefix, StringComparison.Ordinal));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused {Interface}.{Method} on {Target} from {Caller}: only the route source inside a silo writes it")]
    private partial void LogRefused(string @interface, string method, GrainId target, string caller);
}
