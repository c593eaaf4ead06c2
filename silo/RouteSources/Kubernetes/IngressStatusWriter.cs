using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Orleans.Proxy.Routing;
using Orleans.Proxy.Translation.Annotations;
using Orleans.Proxy.Translation.Ingress;
using Orleans.Proxy.Silo.Publishing;

namespace Orleans.Proxy.Silo.RouteSources.Kubernetes;

/// <summary>
/// The leader's writes back to Kubernetes: status.loadBalancer of the Ingresses it serves, and a
/// Warning Event on an Ingress for each new rejection (once per leadership, not on every rebuild).
/// </summary>
internal sealed partial class IngressStatusWriter(IKubernetes client, IngressControllerOptions options, TimeProvider time, ILogger logger)
{
    private const string Component = "orleans-proxy";
    private readonly HashSet<Rejection> _reported = [];

    /// <summary>Forgets what was reported: a new leader reports current rejections again.</summary>
    public void Reset() => _reported.Clear();

    public async Task WriteAsync(IReadOnlyCollection<V1Ingress> ours, IReadOnlyCollection<V1Service> services, DesiredState desired, CancellationToken cancellationToken)
    {
        var addresses = Addresses(services);
        foreach (var ingress in ours)
        {
            var current = ingress.Status?.LoadBalancer?.Ingress?.Select(a => a.Ip ?? a.Hostname) ?? [];
            if (addresses.Select(a => a.Ip ?? a.Hostname).SequenceEqual(current))
            {
                continue;
            }

            try
            {
                var patch = new V1Patch(
                    KubernetesJson.Serialize(new { status = new { loadBalancer = new { ingress = addresses } } }),
                    V1Patch.PatchType.MergePatch);
                await client.NetworkingV1.PatchNamespacedIngressStatusAsync(patch, ingress.Metadata.Name, ingress.Metadata.NamespaceProperty, cancellationToken: cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogStatusFailed(e, IngressConverter.ObjectKey(ingress.Metadata));
            }
        }

        var byKey = ours.ToDictionary(i => $"Ingress {IngressConverter.ObjectKey(i.Metadata)}", StringComparer.Ordinal);
        _reported.IntersectWith(desired.Rejections);
        foreach (var rejection in desired.Rejections.Where(r => !_reported.Contains(r)))
        {
            if (byKey.TryGetValue(rejection.Object, out var ingress))
            {
                try
                {
                    await client.CoreV1.CreateNamespacedEventAsync(Event(ingress, rejection), ingress.Metadata.NamespaceProperty, cancellationToken: cancellationToken);
                    _reported.Add(rejection);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogEventFailed(e, rejection.Object);
                }
            }
        }
    }

    /// <summary>The addresses the served objects show: the publish Service's load balancer, else the configured ones.</summary>
    public List<V1IngressLoadBalancerIngress> Addresses(IReadOnlyCollection<V1Service> services)
    {
        if (options.PublishService is { Length: > 0 } publish)
        {
            var service = services.FirstOrDefault(s => IngressConverter.ObjectKey(s.Metadata) == publish);
            return [.. (service?.Status?.LoadBalancer?.Ingress ?? []).Select(a => new V1IngressLoadBalancerIngress { Ip = a.Ip, Hostname = a.Hostname })];
        }

        return [.. (options.StatusAddresses ?? string.Empty)
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(a => System.Net.IPAddress.TryParse(a, out _) ? new V1IngressLoadBalancerIngress { Ip = a } : new V1IngressLoadBalancerIngress { Hostname = a })];
    }

    private Corev1Event Event(V1Ingress ingress, Rejection rejection)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var message = $"{rejection.Field}: {rejection.Reason}";
        return new Corev1Event
        {
            Metadata = new V1ObjectMeta { GenerateName = ingress.Metadata.Name + ".", NamespaceProperty = ingress.Metadata.NamespaceProperty },
            InvolvedObject = new V1ObjectReference
            {
                ApiVersion = "networking.k8s.io/v1",
                Kind = "Ingress",
                Name = ingress.Metadata.Name,
                NamespaceProperty = ingress.Metadata.NamespaceProperty,
                Uid = ingress.Metadata.Uid,
                ResourceVersion = ingress.Metadata.ResourceVersion,
            },
            Type = "Warning",
            Reason = "Rejected",
            Message = message.Length > 1024 ? message[..1024] : message,
            Source = new V1EventSource { Component = Component },
            ReportingComponent = options.ControllerName,
            ReportingInstance = options.EffectiveIdentity,
            FirstTimestamp = now,
            LastTimestamp = now,
            Count = 1,
        };
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing the status of Ingress {Ingress} failed; retrying on the next reconcile")]
    private partial void LogStatusFailed(Exception exception, string ingress);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording an Event on {Object} failed; retrying on the next reconcile")]
    private partial void LogEventFailed(Exception exception, string @object);
}
