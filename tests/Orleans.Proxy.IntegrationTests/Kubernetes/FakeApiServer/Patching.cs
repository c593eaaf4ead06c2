using System.Text.Json.Nodes;

namespace Orleans.Proxy.IntegrationTests.Kubernetes.FakeApiServer;

/// <summary>The patch formats KubernetesClient's V1Patch sends.</summary>
internal static class Patching
{
    /// <summary>RFC 7386 JSON merge patch: objects merge, null deletes, anything else replaces.</summary>
    public static JsonNode? Merge(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }

        var result = target as JsonObject ?? [];
        foreach (var (key, value) in patchObject)
        {
            if (value is null)
            {
                result.Remove(key);
            }
            else
            {
                var merged = Merge(result[key]?.DeepClone(), value);
                result[key] = merged;
            }
        }

        return result;
    }

    /// <summary>RFC 6902 JSON patch: add, remove, replace, test (copy and move are not used by the proxy).</summary>
    public static JsonNode Apply(JsonNode target, JsonArray operations)
    {
        foreach (var item in operations)
        {
            var operation = item as JsonObject ?? throw new FormatException("a json patch operation is an object");
            var op = (string?)operation["op"] ?? throw new FormatException("json patch operation without \"op\"");
            var path = ((string?)operation["path"] ?? throw new FormatException("json patch operation without \"path\""))
                .Split('/').Skip(1).Select(p => p.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();
            if (path.Length == 0)
            {
                throw new FormatException("json patch on the whole document is not supported");
            }

            var parent = target;
            foreach (var segment in path[..^1])
            {
                parent = Child(parent, segment) ?? throw new InvalidOperationException($"json patch path {operation["path"]} does not exist");
            }

            var last = path[^1];
            switch (op)
            {
                case "add":
                case "replace":
                    var value = operation["value"]?.DeepClone();
                    if (parent is JsonArray array)
                    {
                        if (op == "add")
                        {
                            array.Insert(last == "-" ? array.Count : int.Parse(last, System.Globalization.CultureInfo.InvariantCulture), value);
                        }
                        else
                        {
                            array[int.Parse(last, System.Globalization.CultureInfo.InvariantCulture)] = value;
                        }
                    }
                    else
                    {
                        var obj = (JsonObject)parent;
                        if (op == "replace" && !obj.ContainsKey(last))
                        {
                            throw new InvalidOperationException($"json patch replace of missing path {operation["path"]}");
                        }

                        obj[last] = value;
                    }

                    break;
                case "remove":
                    if (parent is JsonArray list)
                    {
                        list.RemoveAt(int.Parse(last, System.Globalization.CultureInfo.InvariantCulture));
                    }
                    else if (!((JsonObject)parent).Remove(last))
                    {
                        throw new InvalidOperationException($"json patch remove of missing path {operation["path"]}");
                    }

                    break;
                case "test":
                    if (!JsonNode.DeepEquals(Child(parent, last), operation["value"]))
                    {
                        throw new InvalidOperationException($"json patch test failed at {operation["path"]}");
                    }

                    break;
                default:
                    throw new FormatException($"json patch op \"{op}\" is not supported");
            }
        }

        return target;
    }

    private static JsonNode? Child(JsonNode node, string segment) =>
        node is JsonArray array ? array[int.Parse(segment, System.Globalization.CultureInfo.InvariantCulture)] : node[segment];
}
