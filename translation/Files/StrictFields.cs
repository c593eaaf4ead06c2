using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json.Serialization;
using YamlDotNet.RepresentationModel;

namespace Orleans.Proxy.Translation.Files;

/// <summary>
/// Finds fields a YAML object has that its model does not, as "kubectl apply --validate=strict" would:
/// KubernetesClient's YAML reader skips them silently, and a misspelt "filters" or "hostnames" would
/// then widen or redirect a route without a word. Checks the models of this library only (the Gateway
/// API types); Kubernetes' own types (metadata, selectors) are left to the reader.
/// </summary>
internal static class StrictFields
{
    private static readonly ConcurrentDictionary<Type, Dictionary<string, Type>> Fields = new();

    /// <summary>The path of the first unknown field under <paramref name="node"/>, or null.</summary>
    public static string? FirstUnknown(YamlMappingNode node, Type model, string path = "")
    {
        foreach (var (keyNode, value) in node.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value ?? string.Empty;
            var at = path.Length == 0 ? key : $"{path}.{key}";
            if (!FieldsOf(model).TryGetValue(key, out var type))
            {
                return at;
            }

            if (Unknown(value, type, at) is { } unknown)
            {
                return unknown;
            }
        }

        return null;
    }

    private static string? Unknown(YamlNode value, Type type, string path)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (value is YamlSequenceNode sequence && ElementType(type) is { } element)
        {
            for (var i = 0; i < sequence.Children.Count; i++)
            {
                if (Unknown(sequence.Children[i], element, $"{path}[{i}]") is { } unknown)
                {
                    return unknown;
                }
            }

            return null;
        }

        return value is YamlMappingNode mapping && IsOurs(type) ? FirstUnknown(mapping, type, path) : null;
    }

    private static bool IsOurs(Type type) => type.Assembly == typeof(StrictFields).Assembly && !type.IsGenericTypeDefinition && type != typeof(object);

    private static Type? ElementType(Type type) =>
        type.IsArray ? type.GetElementType()
        : type.GetInterfaces().Append(type).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))?.GetGenericArguments()[0] is { } element
          && type != typeof(string) && !(type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IDictionary<,>)) ? element
        : null;

    private static Dictionary<string, Type> FieldsOf(Type model) => Fields.GetOrAdd(model, t => t
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Select(p => (Name: p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name, p.PropertyType))
        .Where(p => p.Name is not null)
        .ToDictionary(p => p.Name!, p => p.PropertyType, StringComparer.Ordinal));
}
