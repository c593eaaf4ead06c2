using k8s.Models;

namespace Orleans.Proxy.Translation.GatewayApi;

/// <summary>
/// Cross-namespace references allowed by ReferenceGrants: a grant in the target's namespace lets
/// objects of a group and kind in a namespace refer to its objects of a group and kind (by name, or all).
/// </summary>
internal sealed class ReferenceGrants(IEnumerable<ReferenceGrant> grants)
{
    private readonly ReferenceGrant[] _grants = [.. grants];

    public bool Allows(string fromGroup, string fromKind, string fromNamespace, string toGroup, string toKind, string toNamespace, string toName) =>
        fromNamespace == toNamespace
        || _grants.Any(g => (g.Metadata?.NamespaceProperty ?? "default") == toNamespace
            && (g.Spec.From ?? []).Any(f => (f.Group ?? string.Empty) == fromGroup && f.Kind == fromKind && f.Namespace == fromNamespace)
            && (g.Spec.To ?? []).Any(t => (t.Group ?? string.Empty) == toGroup && t.Kind == toKind && (string.IsNullOrEmpty(t.Name) || t.Name == toName)));
}

/// <summary>Kubernetes label selectors (matchLabels and matchExpressions), for allowedRoutes.namespaces.selector.</summary>
internal static class LabelSelectors
{
    /// <summary>True when <paramref name="labels"/> satisfy the selector; an empty selector selects everything.</summary>
    public static bool Matches(V1LabelSelector selector, IDictionary<string, string>? labels)
    {
        labels ??= new Dictionary<string, string>();
        foreach (var (key, value) in selector.MatchLabels ?? new Dictionary<string, string>())
        {
            if (!labels.TryGetValue(key, out var actual) || actual != value)
            {
                return false;
            }
        }

        foreach (var expression in selector.MatchExpressions ?? [])
        {
            var present = labels.TryGetValue(expression.Key, out var actual);
            var values = expression.Values ?? [];
            var ok = expression.OperatorProperty switch
            {
                "In" => present && values.Contains(actual!),
                "NotIn" => !present || !values.Contains(actual!),
                "Exists" => present,
                "DoesNotExist" => !present,
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }
}
