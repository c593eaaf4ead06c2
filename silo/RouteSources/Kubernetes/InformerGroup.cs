using k8s;
using k8s.Models;

namespace Orleans.Proxy.Silo.RouteSources.Kubernetes;

/// <summary>
/// Where one informer lists and watches: every namespace (<see cref="Namespace"/> null), one namespace,
/// or one object of a namespace (<see cref="FieldSelector"/> "metadata.name=…").
/// </summary>
internal readonly record struct InformerScope(string? Namespace, string? FieldSelector = null)
{
    public static InformerScope AllNamespaces { get; } = new(null);

    /// <summary>
    /// One scope per watched namespace (or every namespace when <paramref name="namespaces"/> is null), plus
    /// the object <paramref name="alsoKey"/> ("namespace/name") alone when its namespace is not watched.
    /// </summary>
    public static IReadOnlyList<InformerScope> For(IReadOnlyList<string>? namespaces, string? alsoKey = null)
    {
        if (namespaces is null)
        {
            return [AllNamespaces];
        }

        var scopes = namespaces.Select(ns => new InformerScope(ns)).ToList();
        if (IngressControllerOptions.SplitKey(alsoKey) is { } also && !namespaces.Contains(also.Namespace, StringComparer.Ordinal))
        {
            scopes.Add(new InformerScope(also.Namespace, $"metadata.name={also.Name}"));
        }

        return scopes;
    }

    public override string ToString() => Namespace is null ? "all namespaces" : FieldSelector is null ? $"namespace {Namespace}" : $"namespace {Namespace} ({FieldSelector})";
}

/// <summary>The informers of one kind over several scopes, read as one cache.</summary>
internal sealed class InformerGroup<T>(IReadOnlyList<Informer<T>> informers)
    where T : IKubernetesObject<V1ObjectMeta>
{
    public bool Synced => informers.All(i => i.Synced);

    public IReadOnlyCollection<T> Items => informers.Count == 1 ? informers[0].Items : [.. informers.SelectMany(i => i.Items)];

    public Task RunAsync(CancellationToken cancellationToken) => Task.WhenAll(informers.Select(i => i.RunAsync(cancellationToken)));

    public void RequestRelist()
    {
        foreach (var informer in informers)
        {
            informer.RequestRelist();
        }
    }
}
