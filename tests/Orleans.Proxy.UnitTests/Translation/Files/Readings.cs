using System.Text;
using k8s;
using Orleans.Proxy.Translation.Files;
using Orleans.Proxy.Translation.Ingress;

namespace Orleans.Proxy.UnitTests.Translation.Files;

/// <summary>A reader's result as text, objects and rejections in order, so two readings compare whole.</summary>
internal static class Readings
{
    public static string Describe(KubernetesYamlReader.Result result)
    {
        var o = result.Objects;
        var text = new StringBuilder()
            .AppendLine(ReferenceEquals(o, ClusterObjects.Empty) ? "refused whole" : "read")
            .AppendLine(KubernetesJson.Serialize(o.Ingresses))
            .AppendLine(KubernetesJson.Serialize(o.Services))
            .AppendLine(KubernetesJson.Serialize(o.EndpointSlices))
            .AppendLine(KubernetesJson.Serialize(o.Secrets))
            .AppendLine(KubernetesJson.Serialize(o.ConfigMaps))
            .AppendLine(KubernetesJson.Serialize(o.Namespaces))
            .AppendLine(KubernetesJson.Serialize(o.GatewayApi));
        foreach (var r in result.Rejections)
        {
            text.AppendLine($"rejected: {r.Object} | {r.Field} | {r.Reason}");
        }

        return text.AppendLine($"refused: {string.Join(", ", result.Refused)}").ToString();
    }

    /// <summary>Reads <paramref name="content"/> with <paramref name="reader"/> and asserts it reads as the whole file does.</summary>
    public static KubernetesYamlReader.Result ReadAsWhole(IncrementalYamlReader reader, string name, byte[] content)
    {
        var read = reader.Read(name, content);
        Assert.Equal(Describe(KubernetesYamlReader.Read(name, content)), Describe(read));
        return read;
    }
}
