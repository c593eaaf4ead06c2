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
/// With cluster TLS, inside a silo means: the call carries a <see cref="RouteSourceProof"/> made with
/// the silos' key (<see cref="RouteSourceProofCallFilter"/> adds it on every silo). Without TLS there
/// is no key and no boundary against strangers; the sending id of the call then decides (a cluster
/// client's calls carry its client id, the silo's own code "hosted-" and the silo address), which
/// keeps a genuine edge, or a bug in one, from writing, but not a client built to lie about its id.
/// </remarks>
internal sealed partial class RouteSourceOnlyCallFilter(IRouteSourceKeys keys, TimeProvider time, ILogger<RouteSourceOnlyCallFilter> logger) : IIncomingGrainCallFilter
{
    private const string HostedClientPrefix = "hosted-";
    private static readonly ConcurrentDictionary<MethodInfo, bool> Marked = new();

    public Task Invoke(IIncomingGrainCallContext context)
    {
        // Taken out whatever the method: nothing the grain calls next carries a proof on.
        var proof = RequestContext.Get(RouteSourceProof.ContextKey);
        if (proof is not null)
        {
            RequestContext.Remove(RouteSourceProof.ContextKey);
        }

        if (IsRouteSourceOnly(context.InterfaceMethod) && !IsAllowed(context, proof))
        {
            var caller = context.SourceId?.ToString() ?? "unknown";
            var why = keys.Keys.Count > 0 ? "no valid route-source proof" : "a cluster client";
            LogRefused(context.InterfaceName, context.MethodName, context.TargetId, caller, why);
            throw new RouteSourceOnlyException(
                $"{context.InterfaceName}.{context.MethodName} is written only by the route source inside a silo; " +
                $"a cluster client (edge) may read this state but not write it (caller {caller}: {why})");
        }

        return context.Invoke();
    }

    private bool IsAllowed(IIncomingGrainCallContext context, object? proof)
    {
        var required = keys.Keys;
        return required.Count > 0
            ? RouteSourceProof.Verify(proof, required, RouteSourceProof.Method(context.InterfaceMethod), context.TargetId, time.GetUtcNow())
            : IsInsideSilo(context.SourceId);
    }

    internal static bool IsRouteSourceOnly(MethodInfo method) =>
        Marked.GetOrAdd(method, m => m.IsDefined(typeof(RouteSourceOnlyAttribute), inherit: true));

    /// <summary>A grain or a silo's own hosted client; not a cluster client nor one of its observers; an unknown caller is refused.</summary>
    internal static bool IsInsideSilo(GrainId? source) =>
        source is { } id && (!id.IsClient() || id.Key.ToString().StartsWith(HostedClientPrefix, StringComparison.Ordinal));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused {Interface}.{Method} on {Target} from {Caller} ({Why}): only the route source inside a silo writes it")]
    private partial void LogRefused(string @interface, string method, GrainId target, string caller, string why);
}
