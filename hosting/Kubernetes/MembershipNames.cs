using System.Security.Cryptography;
using System.Text;

namespace Orleans.Proxy.Hosting.Kubernetes;

/// <summary>Kubernetes names of a cluster's membership object and heartbeat Leases (DNS-1123, label-safe).</summary>
public static class MembershipNames
{
    /// <summary>The label every heartbeat Lease of a cluster carries, valued with the table's object name.</summary>
    public const string TableLabel = "orleans-proxy.io/membership";

    public const string ManagedByLabel = "app.kubernetes.io/managed-by";

    public const string ManagedBy = "orleans-proxy";

    public const string ClusterIdAnnotation = "orleans-proxy.io/cluster-id";

    /// <summary>The ConfigMap holding the table: "{cluster}-membership".</summary>
    public static string Table(string clusterId) => $"{Dns1123(clusterId)}-membership";

    /// <summary>One Lease per silo for its heartbeat: "{cluster}-silo-{hash of the silo address}".</summary>
    public static string Heartbeat(string clusterId, SiloAddress silo) => $"{Dns1123(clusterId)}-silo-{Hash(silo.ToParsableString())}";

    /// <summary>Lowercase alphanumerics and dashes, at most 40 characters; a changed or shortened id gets a hash so ids never collide.</summary>
    private static string Dns1123(string id)
    {
        var cleaned = new string([.. id.ToLowerInvariant().Select(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' ? c : '-')]).Trim('-');
        if (cleaned == id && cleaned.Length <= 40)
        {
            return cleaned;
        }

        var prefix = cleaned.Length > 31 ? cleaned[..31].TrimEnd('-') : cleaned;
        return prefix.Length == 0 ? $"cluster-{Hash(id)}" : $"{prefix}-{Hash(id)}";
    }

    private static string Hash(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)))[..8];
}
