using System.Collections.Immutable;
using k8s;
using k8s.Models;
using Orleans.Proxy.Routing;
using Orleans.Proxy.Silo.RouteSources.Files;
using Orleans.Proxy.Translation.Files;
using Orleans.Proxy.Translation.Ingress;
using Orleans.Proxy.Translation.Migration;

namespace Orleans.Proxy.Silo.Migration;

/// <summary>
/// "migrate": what of an ingress-nginx installation carries over, read from a folder of manifests or from a
/// cluster's API, before switching. It lives in the silo host because the silo already runs the converter
/// (the edge must not reference it), so the report and the controller share one converter and one table.
/// </summary>
internal static class MigrationCommand
{
    private const string Usage = """
        usage: migrate DIR [--configmap NAMESPACE/NAME]
               migrate --api-server URL [--configmap NAMESPACE/NAME]
          DIR                  a folder of Ingress (and Service, ConfigMap) manifests: *.yaml, *.yml, *.json, also in subfolders
          --api-server URL     read every Ingress and Service, and the ConfigMap, from this API server without a kubeconfig
                               (e.g. http://127.0.0.1:8001 from kubectl proxy)
          --configmap NS/NAME  ingress-nginx's controller ConfigMap (default ingress-nginx/ingress-nginx-controller)
        Prints, per Ingress, what carries over, what differs, and what is refused, has no effect or is not
        supported yet, then a summary. Exit code: 0 when nothing would be lost, 1 when something would
        (refused, not yet, rejected), 2 on a usage error, 3 when the input cannot be read.
        """;

    public static bool IsCommand(string[] args) => args is ["migrate", ..];

    public static async Task<int> RunAsync(string[] args, TextWriter output)
    {
        string? directory = null;
        string? apiServer = null;
        var configMap = MigrationReport.NginxConfigMap;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--api-server" when i + 1 < args.Length:
                    apiServer = args[++i];
                    break;
                case "--configmap" when i + 1 < args.Length:
                    configMap = args[++i];
                    break;
                case var word when !word.StartsWith("--", StringComparison.Ordinal) && directory is null:
                    directory = word;
                    break;
                default:
                    await output.WriteAsync(Usage);
                    return 2;
            }
        }

        if ((directory is null) == (apiServer is null))
        {
            await output.WriteAsync(Usage);
            return 2;
        }

        ClusterObjects objects;
        ImmutableArray<Rejection> unreadable;
        try
        {
            (objects, unreadable) = directory is not null ? ReadFolder(directory) : (await ReadClusterAsync(apiServer!, configMap), []);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or HttpRequestException or k8s.Autorest.HttpOperationException)
        {
            await output.WriteLineAsync($"cannot read the input: {e.Message}");
            return 3;
        }

        foreach (var rejection in unreadable)
        {
            await output.WriteLineAsync($"input {rejection.Object}: {rejection.Field}: {rejection.Reason}");
        }

        var entries = MigrationReport.Build(objects, configMap);
        await output.WriteAsync(MigrationReport.Render(entries));
        return unreadable.IsEmpty && !entries.Any(e => e.LosesSomething) ? 0 : 1;
    }

    private static (ClusterObjects, ImmutableArray<Rejection>) ReadFolder(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"no folder {directory}");
        }

        var results = RouteFiles.Find(directory)
            .Select(file => KubernetesYamlReader.Read(Path.GetRelativePath(directory, file), RouteFiles.Read(file)))
            .ToList();
        return (ClusterObjects.Combine(results.Select(r => r.Objects)), [.. results.SelectMany(r => r.Rejections)]);
    }

    private static async Task<ClusterObjects> ReadClusterAsync(string url, string configMap)
    {
        using var client = new Kubernetes(new KubernetesClientConfiguration { Host = url });
        var ingresses = await client.NetworkingV1.ListIngressForAllNamespacesAsync();
        var services = await client.CoreV1.ListServiceForAllNamespacesAsync();
        var configMaps = ImmutableArray<V1ConfigMap>.Empty;
        if (configMap.Split('/') is [{ Length: > 0 } ns, { Length: > 0 } name])
        {
            configMaps = [.. (await client.CoreV1.ListNamespacedConfigMapAsync(ns, fieldSelector: $"metadata.name={name}")).Items];
        }

        return new ClusterObjects([.. ingresses.Items], [.. services.Items], []) { ConfigMaps = configMaps };
    }
}
