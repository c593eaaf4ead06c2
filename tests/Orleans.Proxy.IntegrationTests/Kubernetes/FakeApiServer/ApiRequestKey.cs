namespace Orleans.Proxy.IntegrationTests.Kubernetes.FakeApiServer;

/// <summary>
/// A request as RBAC sees it: verb (get, list, watch, create, update, patch, delete), API group and
/// resource, with the subresource after a slash ("ingresses/status").
/// </summary>
public readonly record struct ApiRequestKey(string Verb, string Group, string Resource)
{
    public override string ToString() => $"{Verb} {(Group.Length == 0 ? "core" : Group)}/{Resource}";
}

/// <summary>A request and where it reached: one namespace, or (null) every namespace or a cluster-scoped resource.</summary>
public readonly record struct ApiRequest(ApiRequestKey Key, string? Namespace)
{
    public override string ToString() => Namespace is null ? $"{Key} (cluster-wide)" : $"{Key} in {Namespace}";
}

/// <summary>How a forced "too old resourceVersion" reaches the next watch.</summary>
public enum GoneStyle
{
    /// <summary>HTTP 200, then one ERROR event carrying a 410 Expired Status, then end of stream (what kube-apiserver's watch cache does).</summary>
    ErrorEvent,

    /// <summary>The watch request itself answers HTTP 410 Gone with a Status body.</summary>
    HttpStatus,
}
