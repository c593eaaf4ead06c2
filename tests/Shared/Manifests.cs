using System.Globalization;
using System.Text;

namespace Orleans.Proxy.Testing;

/// <summary>Kubernetes YAML for tests, in the shapes kubectl prints.</summary>
internal static partial class Manifests
{
    public const string Namespace = "test";

    /// <summary>A Service with port 80 ("http") and one EndpointSlice per backend port on 127.0.0.1.</summary>
    public static string ServiceFor(string name, params int[] backendPorts)
    {
        var yaml = new StringBuilder($"""
            apiVersion: v1
            kind: Service
            metadata:
              name: {name}
              namespace: {Namespace}
            spec:
              ports:
              - name: http
                port: 80
            """);
        foreach (var port in backendPorts)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"""

                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata:
                  name: {name}-{port}
                  namespace: {Namespace}
                  labels:
                    kubernetes.io/service-name: {name}
                addressType: IPv4
                ports:
                - name: http
                  port: {port}
                endpoints:
                - addresses: ["127.0.0.1"]
                  conditions: {"{"}ready: true{"}"}
                """);
        }

        return yaml.ToString() + "\n";
    }

    /// <summary>An Ingress with one rule; each path is (path, pathType, service) on service port 80.</summary>
    public static string Ingress(string name, string? host, params (string Path, string PathType, string Service)[] paths) =>
        IngressWithAnnotations(name, host, new Dictionary<string, string>(), paths);

    public static string IngressWithAnnotations(string name, string? host, IReadOnlyDictionary<string, string> annotations, params (string Path, string PathType, string Service)[] paths)
    {
        var yaml = new StringBuilder($"""
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata:
              name: {name}
              namespace: {Namespace}

            """);
        if (annotations.Count > 0)
        {
            yaml.Append("  annotations:\n");
            foreach (var (key, value) in annotations)
            {
                yaml.Append(CultureInfo.InvariantCulture, $"    {key}: \"{value}\"\n");
            }
        }

        yaml.Append("spec:\n  rules:\n");
        yaml.Append(host is null ? "  - http:\n" : $"  - host: \"{host}\"\n    http:\n");
        yaml.Append("      paths:\n");
        foreach (var (path, pathType, service) in paths)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"""
                      - path: {path}
                        pathType: {pathType}
                        backend:
                          service:
                            name: {service}
                            port:
                              number: 80

                """);
        }

        return yaml.ToString();
    }

    public static string DefaultBackendIngress(string name, string service) => $"""
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: {name}
          namespace: {Namespace}
        spec:
          defaultBackend:
            service:
              name: {service}
              port:
                number: 80

        """;
}
