using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Orleans.Proxy.Translation.Ingress;
using Orleans.Proxy.Translation.GatewayApi;

namespace Orleans.Proxy.Silo.RouteSources.Kubernetes.GatewayApi;

/// <summary>
/// Informers of the Gateway API kinds (in the watched namespaces, or all) and, when every namespace is
/// watched, of Namespaces (their labels decide allowedRoutes selectors; a namespaced install cannot list
/// them, so a Selector then admits no namespace). A cluster without the Gateway API CRDs reads none.
/// </summary>
internal sealed class GatewayApiInformers
{
    private readonly Informer<GatewayClass> _classes;
    private readonly InformerGroup<Gateway> _gateways;
    private readonly InformerGroup<HttpRoute> _routes;
    private readonly InformerGroup<ReferenceGrant> _grants;
    private readonly Informer<V1Namespace>? _namespaces;

    public GatewayApiInformers(IKubernetes client, IReadOnlyList<string>? namespaces, int timeoutSeconds, Action onChange, ILogger logger)
    {
        _classes = Informer<GatewayClass>(client, GatewayApiResource.GatewayClasses, InformerScope.AllNamespaces, single: true, timeoutSeconds, onChange, logger);
        _gateways = Group<Gateway>(client, GatewayApiResource.Gateways, namespaces, timeoutSeconds, onChange, logger);
        _routes = Group<HttpRoute>(client, GatewayApiResource.HttpRoutes, namespaces, timeoutSeconds, onChange, logger);
        _grants = Group<ReferenceGrant>(client, GatewayApiResource.ReferenceGrants, namespaces, timeoutSeconds, onChange, logger);
        _namespaces = namespaces is not null ? null : new Informer<V1Namespace>("Namespace",
            async ct =>
            {
                var list = await client.CoreV1.ListNamespaceAsync(cancellationToken: ct);
                return (list.Items, list.Metadata?.ResourceVersion ?? string.Empty);
            },
            (rv, onError, ct) => client.CoreV1.WatchListNamespaceAsync(resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: timeoutSeconds, onError: onError, cancellationToken: ct),
            onChange,
            logger,
            // Only the name and labels are read.
            ns => new V1Namespace { Metadata = new V1ObjectMeta { Name = ns.Metadata.Name, Labels = ns.Metadata.Labels, ResourceVersion = ns.Metadata.ResourceVersion } });
    }

    public bool Synced => _classes.Synced && _gateways.Synced && _routes.Synced && _grants.Synced && (_namespaces?.Synced ?? true);

    public GatewayApiObjects Objects => new([.. _classes.Items], [.. _gateways.Items], [.. _routes.Items], [.. _grants.Items]);

    public System.Collections.Immutable.ImmutableArray<V1Namespace> Namespaces => [.. _namespaces?.Items ?? []];

    public Task RunAsync(CancellationToken cancellationToken) => Task.WhenAll(
        _classes.RunAsync(cancellationToken), _gateways.RunAsync(cancellationToken), _routes.RunAsync(cancellationToken),
        _grants.RunAsync(cancellationToken), _namespaces?.RunAsync(cancellationToken) ?? Task.CompletedTask);

    private static InformerGroup<T> Group<T>(IKubernetes client, GatewayApiResource resource, IReadOnlyList<string>? namespaces, int timeoutSeconds, Action onChange, ILogger logger)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        var scopes = InformerScope.For(namespaces);
        return new([.. scopes.Select(scope => Informer<T>(client, resource, scope, scopes.Count == 1 && scope.Namespace is null, timeoutSeconds, onChange, logger))]);
    }

    private static Informer<T> Informer<T>(IKubernetes client, GatewayApiResource resource, InformerScope scope, bool single, int timeoutSeconds, Action onChange, ILogger logger)
        where T : IKubernetesObject<V1ObjectMeta> =>
        new(single ? resource.Kind : $"{resource.Kind} in {scope}",
            ct => resource.ListAsync<T>(client, scope, ct),
            (rv, onError, ct) => resource.WatchAsync<T>(client, scope, rv, timeoutSeconds, onError, ct),
            onChange,
            logger,
            optional: true);
}
