using System.Collections.Immutable;
using System.Text;
using k8s;
using k8s.Models;
using Orleans.Proxy.Routing;
using Orleans.Proxy.Translation.Annotations;
using Orleans.Proxy.Translation.GatewayApi;
using Orleans.Proxy.Translation.Ingress;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Orleans.Proxy.Translation.Files;

/// <summary>
/// Reads Kubernetes manifests as <c>kubectl get ingress,svc,endpointslices -o yaml</c> prints
/// them (a v1 List) or as people write them (one or more documents), into KubernetesClient's
/// own model types. Kinds the proxy does not read are skipped.
/// </summary>
public static class KubernetesYamlReader
{
    /// <param name="Refused">Objects the reader refused whole (unknown apiVersion, schema mismatch), named from their raw metadata
    /// as rejections name them ("Ingress shop/web"), so a route source can keep serving their previous version.</param>
    public sealed record Result(ClusterObjects Objects, ImmutableArray<Rejection> Rejections)
    {
        public ImmutableArray<string> Refused { get; init; } = [];
    }

    /// <summary>Largest input read, in bytes or characters: 16 times what etcd holds in one object, for Lists of many.</summary>
    public const int MaxInputLength = 24 * 1024 * 1024;

    /// <summary>Deepest nesting of mappings and sequences, aliases expanded; Kubernetes objects need about 15.</summary>
    public const int MaxDepth = 64;

    /// <summary>Most nodes in one input, aliases counted as often as they are expanded (an alias bomb expands exponentially).</summary>
    public const long MaxNodes = 2_000_000;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Reads a file's bytes: invalid UTF-8 refuses the file, naming the first bad byte, rather than reading U+FFFD into names and hosts.</summary>
    public static Result Read(string sourceName, byte[] content)
    {
        if (content.Length > MaxInputLength)
        {
            return Refuse(sourceName, "size", $"the input is larger than the {MaxInputLength} bytes read");
        }

        string text;
        try
        {
            var bom = content.AsSpan().StartsWith(Encoding.UTF8.Preamble) ? Encoding.UTF8.Preamble.Length : 0;
            text = StrictUtf8.GetString(content, bom, content.Length - bom);
        }
        catch (DecoderFallbackException e)
        {
            return Refuse(sourceName, $"byte {e.Index}", "the input is not valid UTF-8");
        }

        return Read(sourceName, text);
    }

    public static Result Read(string sourceName, string yaml)
    {
        var stream = new YamlStream();
        try
        {
            if (YamlLimits.Check(yaml) is { } exceeded)
            {
                return Refuse(sourceName, exceeded.Field, exceeded.Reason);
            }

            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            return Refuse(sourceName, $"line {e.Start.Line}, column {e.Start.Column}", $"YAML does not parse: {e.InnerException?.Message ?? e.Message}");
        }

        var ingresses = ImmutableArray.CreateBuilder<V1Ingress>();
        var services = ImmutableArray.CreateBuilder<V1Service>();
        var slices = ImmutableArray.CreateBuilder<V1EndpointSlice>();
        var secrets = ImmutableArray.CreateBuilder<V1Secret>();
        var namespaces = ImmutableArray.CreateBuilder<V1Namespace>();
        var configMaps = ImmutableArray.CreateBuilder<V1ConfigMap>();
        var classes = ImmutableArray.CreateBuilder<GatewayClass>();
        var gateways = ImmutableArray.CreateBuilder<Gateway>();
        var httpRoutes = ImmutableArray.CreateBuilder<HttpRoute>();
        var grants = ImmutableArray.CreateBuilder<ReferenceGrant>();
        var rejections = ImmutableArray.CreateBuilder<Rejection>();
        var refused = ImmutableArray.CreateBuilder<string>();

        foreach (var node in stream.Documents.SelectMany(d => Flatten(d.RootNode)))
        {
            var apiVersion = Scalar(node, "apiVersion");
            var kind = Scalar(node, "kind");
            var name = ObjectName(node, kind);
            var where = name is null ? $"{sourceName} (line {node.Start.Line})" : $"{name} ({sourceName}, line {node.Start.Line})";
            var rejected = rejections.Count;
            try
            {
                switch (kind, apiVersion)
                {
                    case ("Ingress", "networking.k8s.io/v1"):
                        ingresses.Add(Deserialize<V1Ingress>(node));
                        break;
                    case ("Service", "v1"):
                        services.Add(Deserialize<V1Service>(node));
                        break;
                    case ("EndpointSlice", "discovery.k8s.io/v1"):
                        slices.Add(Deserialize<V1EndpointSlice>(node));
                        break;
                    case ("Secret", "v1"):
                        secrets.Add(Deserialize<V1Secret>(node));
                        break;
                    case ("ConfigMap", "v1"):
                        configMaps.Add(Deserialize<V1ConfigMap>(node));
                        break;
                    case ("Namespace", "v1"):
                        namespaces.Add(Deserialize<V1Namespace>(node));
                        break;
                    case ("GatewayClass", GatewayApiGroup.V1 or GatewayApiGroup.V1Beta1):
                        AddStrict(classes, node, where, kind, rejections);
                        break;
                    case ("Gateway", GatewayApiGroup.V1 or GatewayApiGroup.V1Beta1):
                        AddStrict(gateways, node, where, kind, rejections);
                        break;
                    case (HttpRoute.KindName, GatewayApiGroup.V1 or GatewayApiGroup.V1Beta1):
                        AddStrict(httpRoutes, node, where, kind, rejections);
                        break;
                    case ("ReferenceGrant", GatewayApiGroup.V1 or GatewayApiGroup.V1Beta1):
                        AddStrict(grants, node, where, kind, rejections);
                        break;
                    case ("GatewayClass" or "Gateway" or HttpRoute.KindName or "ReferenceGrant", _):
                        rejections.Add(new Rejection(where, "apiVersion",
                            $"{kind} apiVersion '{apiVersion}' is not supported; use {GatewayApiGroup.V1} (or {GatewayApiGroup.V1Beta1})"));
                        break;
                    case ("Ingress" or "EndpointSlice", _):
                        rejections.Add(new Rejection(where, "apiVersion",
                            $"{kind} apiVersion '{apiVersion}' is not supported; use {(kind == "Ingress" ? "networking.k8s.io/v1" : "discovery.k8s.io/v1")}"));
                        break;
                    case (null, _):
                        rejections.Add(new Rejection(where, "kind", "the document has no 'kind'"));
                        break;
                    default:
                        break;
                }
            }
            catch (YamlException e)
            {
                rejections.Add(new Rejection(where, $"line {e.Start.Line}, column {e.Start.Column}",
                    $"{kind} does not match the Kubernetes schema: {e.InnerException?.Message ?? e.Message}"));
            }
            catch (Exception e) when (e is FormatException or OverflowException or ArgumentException or InvalidOperationException or System.Text.Json.JsonException)
            {
                // A value of the wrong shape for its field (a port beyond Int32, a malformed date) refuses this object, not the input.
                rejections.Add(new Rejection(where, "(schema)", $"{kind} does not match the Kubernetes schema: {e.Message}"));
            }

            if (rejections.Count > rejected && name is not null)
            {
                refused.Add(name);
            }
        }

        return new Result(
            new ClusterObjects(ingresses.ToImmutable(), services.ToImmutable(), slices.ToImmutable())
            {
                Secrets = secrets.ToImmutable(),
                Namespaces = namespaces.ToImmutable(),
                ConfigMaps = configMaps.ToImmutable(),
                GatewayApi = new GatewayApiObjects(classes.ToImmutable(), gateways.ToImmutable(), httpRoutes.ToImmutable(), grants.ToImmutable()),
            },
            PrintableRejections.Of(rejections))
        {
            Refused = refused.ToImmutable(),
        };
    }

    /// <summary>"Ingress shop/web" from the raw metadata, readable even when the object is not; null without a kind or name.</summary>
    private static string? ObjectName(YamlMappingNode node, string? kind) =>
        kind is not null
        && node.Children.TryGetValue(new YamlScalarNode("metadata"), out var metadata)
        && metadata is YamlMappingNode fields
        && Scalar(fields, "name") is { Length: > 0 } name
            ? $"{kind} {Scalar(fields, "namespace") ?? "default"}/{name}"
            : null;

    private static Result Refuse(string sourceName, string field, string reason) =>
        new(ClusterObjects.Empty, PrintableRejections.Of([new Rejection(sourceName, field, reason)]));

    /// <summary>Adds a Gateway API object unless it has a field its schema does not (then it is refused whole, naming the field).</summary>
    private static void AddStrict<T>(ImmutableArray<T>.Builder objects, YamlMappingNode node, string where, string? kind, ImmutableArray<Rejection>.Builder rejections)
    {
        if (StrictFields.FirstUnknown(node, typeof(T)) is { } unknown)
        {
            rejections.Add(new Rejection(where, unknown, $"{kind} has a field its schema does not know (a typo?); the object is ignored"));
            return;
        }

        objects.Add(Deserialize<T>(node));
    }

    private static IEnumerable<YamlMappingNode> Flatten(YamlNode node)
    {
        if (node is not YamlMappingNode mapping)
        {
            yield break;
        }

        if (Scalar(mapping, "kind") == "List" && mapping.Children.TryGetValue(new YamlScalarNode("items"), out var items) && items is YamlSequenceNode sequence)
        {
            foreach (var item in sequence.Children.OfType<YamlMappingNode>())
            {
                yield return item;
            }

            yield break;
        }

        yield return mapping;
    }

    private static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? (value as YamlScalarNode)?.Value : null;

    private static T Deserialize<T>(YamlNode node)
    {
        using var writer = new StringWriter();
        new YamlStream(new YamlDocument(node)).Save(writer, assignAnchors: false);
        return KubernetesYaml.Deserialize<T>(writer.ToString());
    }
}
