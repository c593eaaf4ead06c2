using k8s;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;
using k8s.Models;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Proxy.Translation.Annotations;
using Orleans.Proxy.Silo.Publishing;
using Orleans.Proxy.Silo.RouteSources.Kubernetes.GatewayApi;
using Orleans.Proxy.Translation.GatewayApi;
using Orleans.Proxy.Translation.Ingress;
using Orleans.Proxy.Translation.Ingress.LastGood;
using Orleans.Proxy.Translation.Ingress.Authentication;

namespace Orleans.Proxy.Silo.RouteSources.Kubernetes;

/// <summary>
/// The Kubernetes route source. Every replica keeps informer caches of IngressClasses, Ingresses,
/// Services, EndpointSlices, TLS Secrets, the Secrets Ingresses name in auth-secret, ConfigMaps (the controller's, and those custom-headers name) and (unless IngressController:GatewayApi is off) the Gateway API's
/// GatewayClasses, Gateways, HTTPRoutes, ReferenceGrants and Namespaces warm; only the Lease holder reconciles: it rebuilds the
/// cluster objects from the caches, converts them as the file source does, hands the result to the
/// <see cref="RouteReconciler"/>, and writes Ingress and Gateway API status and Events. A new leader rewrites every
/// grain; a leader that loses its Lease withdraws its desired state, so it writes nothing more.
/// With IngressController:Namespaces, namespaced kinds are read only in those namespaces (plus the
/// publish Service and the default certificate's Secret, each alone by name).
/// </summary>
internal sealed partial class IngressController(
    IKubernetes client,
    RouteReconciler reconciler,
    IOptions<IngressControllerOptions> options,
    IOptions<RoutesOptions> routes,
    TimeProvider time,
    ILoggerFactory loggers) : BackgroundService
{
    private const string TlsSecretType = "kubernetes.io/tls";

    private readonly ILogger _logger = loggers.CreateLogger<IngressController>();
    private readonly SemaphoreSlim _queue = new(0, int.MaxValue);
    private Informer<V1IngressClass>? _classes;
    private InformerGroup<V1Ingress>? _ingresses;
    private InformerGroup<V1Service>? _services;
    private InformerGroup<V1EndpointSlice>? _slices;
    private InformerGroup<V1Secret>? _secrets;
    private InformerGroup<V1ConfigMap>? _configMap;
    private InformerGroup<V1ConfigMap>? _configMaps;
    private GatewayApiInformers? _gatewayApi;
    private volatile IReadOnlySet<string> _authSecrets = new HashSet<string>(StringComparer.Ordinal);
    private volatile bool _leading;
    private int _term;

    /// <summary>True while this replica holds the Lease and writes.</summary>
    public bool IsLeader => _leading;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var timeout = settings.WatchTimeoutSeconds;
        var namespaces = settings.WatchedNamespaces;
        LogWatching(namespaces is null ? "every namespace" : string.Join(", ", namespaces));
        _classes = new Informer<V1IngressClass>("IngressClass",
            async ct => List(await client.NetworkingV1.ListIngressClassAsync(cancellationToken: ct)),
            (rv, onError, ct) => client.NetworkingV1.WatchListIngressClassAsync(resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: timeout, onError: onError, cancellationToken: ct),
            Enqueue, _logger);
        _ingresses = Group<V1Ingress>("Ingress", InformerScope.For(namespaces),
            async (scope, ct) => List(scope.Namespace is null
                ? await client.NetworkingV1.ListIngressForAllNamespacesAsync(cancellationToken: ct)
                : await client.NetworkingV1.ListNamespacedIngressAsync(scope.Namespace, fieldSelector: scope.FieldSelector, cancellationToken: ct)),
            (scope, rv, onError, ct) => scope.Namespace is null
                ? client.NetworkingV1.WatchListIngressForAllNamespacesAsync(resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: timeout, onError: onError, cancellationToken: ct)
                : client.NetworkingV1.WatchListNamespacedIngressAsync(scope.Namespace, fieldSelector: scope.FieldSelector, resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: timeout, onError: onError, cancellationToken: ct));
        // The publish Service's status gives the Ingresses' addresses: read it even outside the watched namespaces.
        _services = Group<V1Service>("Service", InformerScope.For(namespaces, settings.PublishService),
            async (scope, ct) => List(scope.Namespace is null
                ? await client.CoreV1.ListServiceForAllNamespacesAsync(cancellationToken: ct)
                : await client.CoreV1.ListNamespacedServiceAsync(scope.Namespace, fieldSelector: scope.FieldSelector, cancellationToken: ct)),
            (scope, rv, onError, ct) => scope.Namespace is null
                ? client.CoreV1.WatchListServiceForAllNamespacesAsync(resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: timeout, onError: onError, cancellationToken: ct)
                : client.CoreV1.WatchListNamespacedServiceAsync(scope.Namespace, fieldSelector: scope.FieldSelector, resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: timeout, onError: onError, cancellationToken: ct));
        _slices = Group<V1EndpointSlice>("EndpointSlice", InformerScope.For(namespaces),
            async (scope, ct) => List(scope.Namespace is null
                ? await client.DiscoveryV1.ListEndpointSliceForAllNamespacesAsync(cancellationToken: ct)
                : await client.DiscoveryV1.ListNamespacedEndpointSliceAsync(scope.Namespace, fieldSelector: scope.FieldSelector, cancellationToken: ct)),
            (scope, rv, onError, ct) => scope.Namespace is null
                ? client.DiscoveryV1.WatchListEndpointSliceForAllNamespacesAsync(resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: timeout, onError: onError, cancellationToken: ct)
                : client.DiscoveryV1.WatchListNamespacedEndpointSliceAsync(scope.Namespace, fieldSelector: scope.FieldSelector, resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: timeout, onError: onError, cancellationToken: ct));
        // The default certificate's Secret, alone, when its namespace is not watched.
        _secrets = Group<V1Secret>("Secret", InformerScope.For(namespaces, settings.DefaultSslCertificate),
            async (scope, ct) => List(scope.Namespace is null
                ? await client.CoreV1.ListSecretForAllNamespacesAsync(cancellationToken: ct)
                : await client.CoreV1.ListNamespacedSecretAsync(scope.Namespace, fieldSelector: scope.FieldSelector, cancellationToken: ct)),
            (scope, rv, onError, ct) => scope.Namespace is null
                ? client.CoreV1.WatchListSecretForAllNamespacesAsync(resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: timeout, onError: onError, cancellationToken: ct)
                : client.CoreV1.WatchListNamespacedSecretAsync(scope.Namespace, fieldSelector: scope.FieldSelector, resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: timeout, onError: onError, cancellationToken: ct),
            // Only TLS Secrets and those named by auth-secret are read; others keep their name and type, so a wrong one is reported as such.
            secret => secret.Type == TlsSecretType || _authSecrets.Contains($"{secret.Metadata.NamespaceProperty}/{secret.Metadata.Name}") ? secret : new V1Secret
            {
                // Not even the annotations: kubectl's last-applied-configuration holds the data.
                Metadata = new V1ObjectMeta { Name = secret.Metadata.Name, NamespaceProperty = secret.Metadata.NamespaceProperty, ResourceVersion = secret.Metadata.ResourceVersion },
                Type = secret.Type,
            });

        // The controller ConfigMap, alone by name: a change to it re-runs the conversion like any other object.
        _configMap = Group<V1ConfigMap>("controller ConfigMap", IngressControllerOptions.SplitKey(routes.Value.ConfigMap) is { } config ? [new InformerScope(config.Namespace, $"metadata.name={config.Name}")] : [],
            async (scope, ct) => List(await client.CoreV1.ListNamespacedConfigMapAsync(scope.Namespace!, fieldSelector: scope.FieldSelector, cancellationToken: ct)),
            (scope, rv, onError, ct) => client.CoreV1.WatchListNamespacedConfigMapAsync(scope.Namespace!, fieldSelector: scope.FieldSelector, resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: timeout, onError: onError, cancellationToken: ct));

        // ConfigMaps that annotations name (custom-headers); the converter reads no other.
        _configMaps = Group<V1ConfigMap>("ConfigMap", InformerScope.For(namespaces),
            async (scope, ct) => List(scope.Namespace is null
                ? await client.CoreV1.ListConfigMapForAllNamespacesAsync(cancellationToken: ct)
                : await client.CoreV1.ListNamespacedConfigMapAsync(scope.Namespace, fieldSelector: scope.FieldSelector, cancellationToken: ct)),
            (scope, rv, onError, ct) => scope.Namespace is null
                ? client.CoreV1.WatchListConfigMapForAllNamespacesAsync(resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: timeout, onError: onError, cancellationToken: ct)
                : client.CoreV1.WatchListNamespacedConfigMapAsync(scope.Namespace, fieldSelector: scope.FieldSelector, resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: timeout, onError: onError, cancellationToken: ct),
            // Not the annotations: kubectl's last-applied-configuration repeats the data.
            configMap => new V1ConfigMap
            {
                Metadata = new V1ObjectMeta { Name = configMap.Metadata.Name, NamespaceProperty = configMap.Metadata.NamespaceProperty, ResourceVersion = configMap.Metadata.ResourceVersion },
                Data = configMap.Data,
            });

        _gatewayApi = settings.GatewayApi ? new GatewayApiInformers(client, namespaces, timeout, Enqueue, _logger) : null;

        var informers = new[] { _classes.RunAsync(stoppingToken), _ingresses.RunAsync(stoppingToken), _services.RunAsync(stoppingToken), _slices.RunAsync(stoppingToken), _secrets.RunAsync(stoppingToken), _configMap.RunAsync(stoppingToken), _configMaps.RunAsync(stoppingToken), _gatewayApi?.RunAsync(stoppingToken) ?? Task.CompletedTask };
        var election = ElectAsync(settings, stoppingToken);
        await ReconcileLoopAsync(settings, stoppingToken);
        await Task.WhenAll([.. informers, election]);
    }

    /// <summary>One informer per scope, read as one cache.</summary>
    private InformerGroup<T> Group<T>(
        string kind,
        IReadOnlyList<InformerScope> scopes,
        Func<InformerScope, CancellationToken, Task<(IEnumerable<T> Items, string ResourceVersion)>> list,
        Func<InformerScope, string, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType, T)>> watch,
        Func<T, T>? trim = null)
        where T : IKubernetesObject<V1ObjectMeta> =>
        new([.. scopes.Select(scope => new Informer<T>(
            scopes.Count == 1 && scope.Namespace is null ? kind : $"{kind} in {scope}",
            ct => list(scope, ct),
            (rv, onError, ct) => watch(scope, rv, onError, ct),
            Enqueue,
            _logger,
            trim))]);

    private static (IEnumerable<T>, string) List<T>(IItems<T> list)
        where T : IKubernetesObject<V1ObjectMeta> =>
        (list.Items, ((IMetadata<V1ListMeta>)list).Metadata?.ResourceVersion ?? "");

    private void Enqueue() => _queue.Release();

    private async Task ElectAsync(IngressControllerOptions settings, CancellationToken stoppingToken)
    {
        var leaseLock = new LeaseLock(client, settings.EffectiveLeaseNamespace, settings.LeaseName, settings.EffectiveIdentity);
        using var elector = new LeaderElector(new LeaderElectionConfig(leaseLock)
        {
            LeaseDuration = settings.LeaseDuration,
            RenewDeadline = settings.RenewDeadline,
            RetryPeriod = settings.RetryPeriod,
        });
        elector.OnStartedLeading += () =>
        {
            LogLeading(settings.EffectiveIdentity, settings.LeaseName);
            Interlocked.Increment(ref _term);
            _leading = true;
            Enqueue();
        };
        elector.OnStoppedLeading += () =>
        {
            // Stop writing at once: the reconciler forgets the desired state, so its timer rewrites nothing.
            _leading = false;
            reconciler.Withdraw();
            LogStoppedLeading(settings.EffectiveIdentity);
        };
        elector.OnNewLeader += leader => LogNewLeader(leader);
        elector.OnError += e => LogElectionError(e);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await elector.RunAndTryToHoldLeadershipForeverAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogElectionError(e);
                await Task.Delay(settings.RetryPeriod, stoppingToken);
            }
            catch (OperationCanceledException)
            {
            }
        }

        _leading = false;
    }

    /// <summary>The work queue: every change is a signal; a burst is one rebuild of everything from the caches (level-based).</summary>
    private async Task ReconcileLoopAsync(IngressControllerOptions settings, CancellationToken stoppingToken)
    {
        var status = new IngressStatusWriter(client, settings, time, _logger);
        var gatewayStatus = new GatewayStatusWriter(client, routes.Value.GatewayControllerName, time, _logger);
        var versions = new LastGoodVersions();
        var reconciledTerm = 0;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await _queue.WaitAsync(stoppingToken);
                await Task.Delay(settings.Debounce, stoppingToken);
                while (_queue.CurrentCount > 0)
                {
                    await _queue.WaitAsync(stoppingToken);
                }

                var term = Volatile.Read(ref _term);
                if (AuthSecretsChanged())
                {
                    // The Secrets are listed again with the new names kept; their informer enqueues when done.
                    continue;
                }

                if (!_leading || !AllSynced())
                {
                    continue;
                }

                await TryReconcileAsync(async () =>
                {
                    var ours = IngressClassFilter.Ours(_classes!.Items, _ingresses!.Items, settings.ControllerName).ToList();
                    var services = _services!.Items;
                    var objects = new ClusterObjects([.. ours], [.. services], [.. _slices!.Items])
                    {
                        Secrets = [.. _secrets!.Items],
                        ConfigMaps = ConfigMaps(),
                        GatewayApi = _gatewayApi?.Objects ?? GatewayApiObjects.Empty,
                        Namespaces = _gatewayApi?.Namespaces ?? [],
                    };
                    var desired = DefaultCertificate.AddTo(versions.Convert(objects, [], routes.Value.Conversion), settings.DefaultSslCertificate, objects.Secrets);
                    reconciler.SetDesired(desired);
                    if (term != reconciledTerm)
                    {
                        // A new leadership rewrites every grain: it cannot know what was written meanwhile.
                        reconciler.RequestResync();
                        status.Reset();
                        reconciledTerm = term;
                    }

                    LogReconciled(ours.Count, desired.Hosts.Count, desired.Rejections.Length);
                    await status.WriteAsync(ours, services, desired, stoppingToken);
                    if (desired.GatewayApi is { } gatewayApi && _gatewayApi is { } informers)
                    {
                        var addresses = status.Addresses(services).Select(a => a.Ip is { } ip
                            ? new GatewayAddress { Type = "IPAddress", Value = ip }
                            : new GatewayAddress { Type = "Hostname", Value = a.Hostname }).ToList();
                        await gatewayStatus.WriteAsync(gatewayApi, informers.Objects.Classes, informers.Objects.Gateways, informers.Objects.HttpRoutes, addresses, stoppingToken);
                    }
                }, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One pass; a failure is logged and the pass retried, so the loop (and the silo) never stops on one bad object.</summary>
    private async Task TryReconcileAsync(Func<Task> reconcile, CancellationToken stoppingToken)
    {
        try
        {
            await reconcile();
        }
        catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            LogReconcileFailed(e);
            await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            Enqueue();
        }
    }

    /// <summary>
    /// For the admission webhook: whether <paramref name="ingress"/> is of our class, and the cluster objects of our
    /// class as the caches hold them (any replica can answer, leader or not); null before the caches have synced.
    /// </summary>
    public (bool Ours, ClusterObjects Objects)? AdmissionObjects(V1Ingress ingress)
    {
        if (_classes is null || !AllSynced())
        {
            return null;
        }

        var controllerName = options.Value.ControllerName;
        var objects = new ClusterObjects([.. IngressClassFilter.Ours(_classes.Items, _ingresses!.Items, controllerName)], [.. _services!.Items], [.. _slices!.Items])
        {
            Secrets = [.. _secrets!.Items],
            ConfigMaps = ConfigMaps(),
        };
        return (IngressClassFilter.Ours(_classes.Items, [ingress], controllerName).Any(), objects);
    }

    /// <summary>The controller's ConfigMap and those annotations may name, once each (when every namespace is watched, both informers hold the first).</summary>
    private System.Collections.Immutable.ImmutableArray<V1ConfigMap> ConfigMaps() =>
        [.. _configMap!.Items.Concat(_configMaps!.Items).DistinctBy(c => (c.Metadata.NamespaceProperty, c.Metadata.Name))];

    private bool AllSynced() => _classes!.Synced && _ingresses!.Synced && _services!.Synced && _slices!.Synced && _secrets!.Synced && _configMap!.Synced && _configMaps!.Synced && (_gatewayApi?.Synced ?? true);

    /// <summary>
    /// True when the Ingresses name other auth-secret Secrets than the Secret cache keeps the data of:
    /// the set is replaced and the Secrets relisted, since their data was dropped when they were cached.
    /// </summary>
    private bool AuthSecretsChanged()
    {
        if (!_ingresses!.Synced)
        {
            return false;
        }

        var named = AuthSecretReferences.Of(_ingresses.Items);
        if (named.SetEquals(_authSecrets))
        {
            return false;
        }

        _authSecrets = named;
        _secrets!.RequestRelist();
        return true;
    }


    [LoggerMessage(Level = LogLevel.Information, Message = "Ingress controller reads Ingresses, Services, EndpointSlices, Secrets and ConfigMaps in {Namespaces}")]
    private partial void LogWatching(string namespaces);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Identity} holds the Lease {Lease}: reconciling and writing routes")]
    private partial void LogLeading(string identity, string lease);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Identity} lost the Lease: no longer writing routes")]
    private partial void LogStoppedLeading(string identity);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Leader election failed; retrying")]
    private partial void LogElectionError(Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Reconciling failed; retrying in a second")]
    private partial void LogReconcileFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingress controller leader is {Leader}")]
    private partial void LogNewLeader(string leader);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reconciled {Ingresses} Ingresses of our class into {Hosts} hosts ({Rejections} rejections)")]
    private partial void LogReconciled(int ingresses, int hosts, int rejections);
}
