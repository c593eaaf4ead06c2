using System.Net;
using k8s.Models;
using Orleans.Proxy.Routing;
using Orleans.Proxy.Translation.Annotations;
using Orleans.Proxy.Translation.Ingress.Conflicts;

namespace Orleans.Proxy.Translation.Ingress.Backends;

/// <summary>
/// mirror-target's URL as a backend cluster the edges can send copies to: an IP address is a
/// cluster of that one destination; a Service's cluster name (name.namespace[.svc[.cluster.local]])
/// is that Service port with its endpoints, as for a rule's backend. The edges resolve no DNS name.
/// </summary>
internal static class MirrorTargets
{
    /// <summary>Prefix of the cluster id of an address target; Service cluster ids ("namespace/service:port") never start with it.</summary>
    public const string AddressClusterPrefix = "mirror-target:";

    /// <summary>The cluster id for <paramref name="target"/>; null, with a rejection, when it names no Service port here.</summary>
    public static string? Resolve(string source, Uri target, BackendResolver resolver, BackendTable backends, ICollection<Rejection> rejections)
    {
        var https = target.Scheme == Uri.UriSchemeHttps;
        var field = $"metadata.annotations[{AnnotationTable.NginxMirrorTarget.Name}]";
        if (IPAddress.TryParse(target.Host.Trim('[', ']'), out var address))
        {
            var endpoint = new IPEndPoint(address, target.Port).ToString();
            var clusterId = $"{AddressClusterPrefix}{target.Scheme}://{endpoint}";
            backends.Add(new BackendSpec(clusterId, 0, [new DestinationSpec(endpoint, $"{target.Scheme}://{endpoint}")])
            {
                Protocol = https ? BackendProtocol.Https : BackendProtocol.Http,
            });
            return clusterId;
        }

        var (ns, service) = AnnotationTypes.MirrorService(target.Host)!.Value;
        // Without the Service port, the resolver's rejection (at the annotation) says why nothing is mirrored.
        var resolved = resolver.Resolve(source, field, field, ns, service, new V1ServiceBackendPort { Number = target.Port }, rejections);
        if (resolved is null)
        {
            return null;
        }

        var id = backends.Add(resolved);
        if (https)
        {
            backends.ApplySettings(source, id, new NginxBackendSettings(BackendProtocol.Https, null, null));
        }

        return id;
    }
}
