using System.Text.Json;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Orleans.Proxy.Translation.GatewayApi;

namespace Orleans.Proxy.Silo.RouteSources.Kubernetes.GatewayApi;

/// <summary>
/// The leader writes the status the conversion computed to our GatewayClasses, Gateways (conditions,
/// listeners, addresses) and HTTPRoutes (our parent entries only: another controller's stay as they
/// are), with a merge patch of the status subresource, and only when it differs from what the object
/// shows. A condition keeps its lastTransitionTime while its status is unchanged. A route that no
/// longer names our Gateways loses our parent entries.
/// </summary>
internal sealed partial class GatewayStatusWriter(IKubernetes client, string controllerName, TimeProvider time, ILogger logger)
{
    private static readonly JsonSerializerOptions Compare = new();

    public async Task WriteAsync(
        GatewayApiStatus status, IReadOnlyCollection<GatewayClass> classes, IReadOnlyCollection<Gateway> gateways, IReadOnlyCollection<HttpRoute> routes,
        IList<GatewayAddress> addresses, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        foreach (var desired in status.Classes)
        {
            var current = classes.FirstOrDefault(c => c.Metadata.Name == desired.Name)?.Status;
            var next = new GatewayClassStatus { Conditions = Conditions(current?.Conditions, desired.Status.Conditions, now) };
            await PatchAsync(GatewayApiResource.GatewayClasses, desired.Namespace, desired.Name, current, next, cancellationToken);
        }

        foreach (var desired in status.Gateways)
        {
            var current = gateways.FirstOrDefault(g => Same(g.Metadata, desired))?.Status;
            var next = new GatewayStatus
            {
                Addresses = addresses,
                Conditions = Conditions(current?.Conditions, desired.Status.Conditions, now),
                Listeners = [.. (desired.Status.Listeners ?? []).Select(l => l with
                {
                    Conditions = Conditions(current?.Listeners?.FirstOrDefault(c => c.Name == l.Name)?.Conditions, l.Conditions, now),
                })],
            };
            await PatchAsync(GatewayApiResource.Gateways, desired.Namespace, desired.Name, current, next, cancellationToken);
        }

        var written = new HashSet<string>(StringComparer.Ordinal);
        foreach (var desired in status.Routes)
        {
            written.Add($"{desired.Namespace}/{desired.Name}");
            var current = routes.FirstOrDefault(r => Same(r.Metadata, desired))?.Status;
            var ours = desired.Status.Parents.Select(p => p with
            {
                Conditions = Conditions(current?.Parents.FirstOrDefault(c => c.ControllerName == controllerName && SameParent(c.ParentRef, p.ParentRef))?.Conditions, p.Conditions, now),
            });
            var next = new RouteStatus { Parents = [.. Others(current), .. ours] };
            await PatchAsync(GatewayApiResource.HttpRoutes, desired.Namespace, desired.Name, current, next, cancellationToken);
        }

        foreach (var route in routes.Where(r => !written.Contains($"{r.Metadata.NamespaceProperty}/{r.Metadata.Name}")
                     && r.Status?.Parents.Any(p => p.ControllerName == controllerName) == true))
        {
            await PatchAsync(GatewayApiResource.HttpRoutes, route.Metadata.NamespaceProperty, route.Metadata.Name, route.Status, new RouteStatus { Parents = [.. Others(route.Status)] }, cancellationToken);
        }
    }

    private IEnumerable<RouteParentStatus> Others(RouteStatus? current) => (current?.Parents ?? []).Where(p => p.ControllerName != controllerName);

    private static bool Same<T>(V1ObjectMeta metadata, ObjectStatus<T> status) =>
        metadata.Name == status.Name && (metadata.NamespaceProperty ?? "default") == status.Namespace;

    private static bool SameParent(ParentReference a, ParentReference b) =>
        a.Name == b.Name && a.Namespace == b.Namespace && a.SectionName == b.SectionName && a.Port == b.Port;

    /// <summary>The desired conditions, each keeping the time of the current one of its type when its status is the same; conditions of other types stay.</summary>
    private static IList<V1Condition> Conditions(IList<V1Condition>? current, IList<V1Condition>? desired, DateTime now)
    {
        desired ??= [];
        var result = desired.Select(d =>
        {
            var before = current?.FirstOrDefault(c => c.Type == d.Type);
            return new V1Condition
            {
                Type = d.Type,
                Status = d.Status,
                Reason = d.Reason,
                Message = d.Message,
                ObservedGeneration = d.ObservedGeneration,
                LastTransitionTime = before is not null && before.Status == d.Status ? before.LastTransitionTime : now,
            };
        }).ToList();
        result.AddRange((current ?? []).Where(c => desired.All(d => d.Type != c.Type)));
        return result;
    }

    private async Task PatchAsync(GatewayApiResource resource, string? ns, string name, object? current, object next, CancellationToken cancellationToken)
    {
        if (current is not null && JsonSerializer.Serialize(current, current.GetType(), Compare) == JsonSerializer.Serialize(next, next.GetType(), Compare))
        {
            return;
        }

        var patch = new V1Patch(KubernetesJson.Serialize(new { status = next }), V1Patch.PatchType.MergePatch);
        try
        {
            if (ns is null)
            {
                await client.CustomObjects.PatchClusterCustomObjectStatusAsync(patch, GatewayApiGroup.Group, resource.Version, resource.Plural, name, cancellationToken: cancellationToken);
            }
            else
            {
                await client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(patch, GatewayApiGroup.Group, resource.Version, ns, resource.Plural, name, cancellationToken: cancellationToken);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogStatusFailed(e, resource.Kind, ns is null ? name : $"{ns}/{name}");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing the status of {Kind} {Name} failed; retrying on the next reconcile")]
    private partial void LogStatusFailed(Exception exception, string kind, string name);
}
