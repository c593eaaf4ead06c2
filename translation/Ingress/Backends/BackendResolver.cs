using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using k8s.Models;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.Translation.Ingress.Backends;

/// <summary>
/// Resolves an Ingress backend (Service name and port, by number or by name) to a cluster id,
/// "namespace/service:port", and its destinations: the ready endpoints of the Service's
/// EndpointSlices on the target port whose name matches the Service port's.
/// </summary>
internal sealed class BackendResolver
{
    public const string ServiceNameLabel = "kubernetes.io/service-name";

    private readonly ClusterIndex _index;
    private readonly Dictionary<string, BackendSpec> _resolved = new(StringComparer.Ordinal);

    public BackendResolver(ClusterIndex index)
    {
        _index = index;
    }

    /// <summary>
    /// The backend <paramref name="backend"/> of an object in <paramref name="ns"/> names, with its destinations;
    /// null, and a rejection at <paramref name="field"/>, when it names no existing Service port.
    /// </summary>
    public BackendSpec? Resolve(string source, string field, string ns, V1IngressBackend backend, ICollection<Rejection> rejections)
    {
        if (backend.Resource is not null)
        {
            rejections.Add(new Rejection(source, $"{field}.resource", "resource backends are not supported; use a Service backend"));
            return null;
        }

        return Resolve(source, $"{field}.service.name", $"{field}.service.port", ns, backend.Service?.Name, backend.Service?.Port, rejections);
    }

    /// <summary>
    /// The Service port <paramref name="serviceName"/> and <paramref name="port"/> name in <paramref name="ns"/>, with its destinations;
    /// null, and a rejection at the field concerned, when there is none (an Ingress backend and an HTTPRoute backendRef both resolve here).
    /// </summary>
    public BackendSpec? Resolve(string source, string nameField, string portField, string ns, string? serviceName, V1ServiceBackendPort? port, ICollection<Rejection> rejections)
    {
        if (string.IsNullOrEmpty(serviceName))
        {
            rejections.Add(new Rejection(source, nameField, "the backend names no Service"));
            return null;
        }

        if (_index.Service($"{ns}/{serviceName}") is not { } service)
        {
            rejections.Add(new Rejection(source, nameField, $"Service '{ns}/{serviceName}' does not exist"));
            return null;
        }

        if (service.Spec?.Type == "ExternalName")
        {
            rejections.Add(new Rejection(source, nameField, $"Service '{ns}/{serviceName}' is of type ExternalName, which is not supported"));
            return null;
        }

        var servicePorts = service.Spec?.Ports ?? [];
        V1ServicePort? servicePort;
        string portText;
        if (port?.Number is not null && !string.IsNullOrEmpty(port.Name))
        {
            rejections.Add(new Rejection(source, portField, "the backend sets both port.number and port.name; set one"));
            return null;
        }

        if (port?.Number is int number)
        {
            servicePort = servicePorts.FirstOrDefault(p => p.Port == number);
            portText = number.ToString(CultureInfo.InvariantCulture);
            if (servicePort is null)
            {
                rejections.Add(new Rejection(source, $"{portField}.number", $"Service '{ns}/{serviceName}' has no port {number}"));
                return null;
            }
        }
        else if (!string.IsNullOrEmpty(port?.Name))
        {
            servicePort = servicePorts.FirstOrDefault(p => p.Name == port.Name);
            portText = port.Name;
            if (servicePort is null)
            {
                rejections.Add(new Rejection(source, $"{portField}.name", $"Service '{ns}/{serviceName}' has no port named '{port.Name}'"));
                return null;
            }
        }
        else
        {
            rejections.Add(new Rejection(source, portField, "the backend names no port: set port.number or port.name"));
            return null;
        }

        var clusterId = $"{ns}/{serviceName}:{portText}";
        if (!_resolved.TryGetValue(clusterId, out var resolved))
        {
            _resolved[clusterId] = resolved = new BackendSpec(clusterId, 0, Destinations($"{ns}/{serviceName}", servicePort));
        }

        return resolved;
    }

    /// <summary>Ready, non-terminating endpoints of the slices whose port name matches the Service port's.</summary>
    private ImmutableArray<DestinationSpec> Destinations(string serviceKey, V1ServicePort servicePort)
    {
        var portName = servicePort.Name ?? string.Empty;
        var destinations = new SortedDictionary<string, DestinationSpec>(StringComparer.Ordinal);
        foreach (var slice in _index.Slices(serviceKey))
        {
            var slicePort = slice.Ports?.FirstOrDefault(p => (p.Name ?? string.Empty) == portName);
            if (slicePort?.Port is not int targetPort)
            {
                continue;
            }

            foreach (var endpoint in slice.Endpoints ?? [])
            {
                // Per the EndpointSlice API, a missing "ready" condition means ready.
                if (endpoint.Conditions?.Ready == false || endpoint.Conditions?.Terminating == true)
                {
                    continue;
                }

                foreach (var address in endpoint.Addresses ?? [])
                {
                    if (!IPAddress.TryParse(address, out var ip))
                    {
                        continue;
                    }

                    var endpointText = new IPEndPoint(ip, targetPort).ToString();
                    destinations[endpointText] = new DestinationSpec(endpointText, $"http://{endpointText}");
                }
            }
        }

        return [.. destinations.Values];
    }
}
