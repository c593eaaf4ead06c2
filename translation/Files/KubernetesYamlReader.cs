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
    public static Result Read(string sourceName, byte[] content) => Decode(content) switch
    {
        (_, { } refusal) => Refuse(sourceName, refusal),
        var (text, _) => Read(sourceName, text!),
    };

    public static Result Read(string sourceName, string yaml) => ReadText(yaml) switch
    {
        (_, { } refusal) => Refuse(sourceName, refusal),
        var (reading, _) => Assemble(sourceName, [(reading!, 0)]),
    };

    /// <summary>What a text's parser events tell before any node is built: its nodes (aliases expanded), the first limit it exceeds, and <see cref="DocumentTexts.Separability"/>.</summary>
    internal sealed record Scanned(long Nodes, (string Field, string Reason)? Exceeded, bool MayContinue, bool DependsOnPrevious);

    /// <summary>What one YAML text holds, read alone: its objects in order, each at its line in the text.</summary>
    internal sealed record Reading(Scanned Scanned, ImmutableArray<Found> Objects);

    /// <summary>An object of a text, read (<paramref name="Value"/>) or refused whole (<paramref name="Refusal"/>), named as rejections name it.</summary>
    internal sealed record Found(long Line, string? Name, object? Value, (string Field, string Reason)? Refusal);

    /// <summary>A file's text, or why it is refused: too large, or not UTF-8 (naming the first bad byte in the file). A UTF-8 byte order mark is dropped.</summary>
    internal static (string? Text, (string Field, string Reason)? Refusal) Decode(byte[] content)
    {
        if (content.Length > MaxInputLength)
        {
            return (null, ("size", $"the input is larger than the {MaxInputLength} bytes read"));
        }

        try
        {
            var bom = content.AsSpan().StartsWith(Encoding.UTF8.Preamble) ? Encoding.UTF8.Preamble.Length : 0;
            return (StrictUtf8.GetString(content, bom, content.Length - bom), null);
        }
        catch (DecoderFallbackException e)
        {
            return (null, ($"byte {e.Index}", "the input is not valid UTF-8"));
        }
    }

    /// <summary>Reads a text whole: its objects, or why it is refused whole (a limit exceeded, YAML that does not parse).</summary>
    internal static (Reading? Reading, (string Field, string Reason)? Refusal) ReadText(string yaml)
    {
        try
        {
            var scanned = Scan(yaml);
            return scanned.Exceeded is { } exceeded ? (null, exceeded) : (Build(yaml, scanned), null);
        }
        catch (YamlException e)
        {
            return (null, ($"line {e.Start.Line}, column {e.Start.Column}", $"YAML does not parse: {e.InnerException?.Message ?? e.Message}"));
        }
    }

    /// <exception cref="YamlException">The text does not parse.</exception>
    internal static Scanned Scan(string yaml)
    {
        var separability = new DocumentTexts.Separability();
        var (nodes, exceeded) = YamlLimits.Check(yaml, separability.Observe);
        return new Scanned(nodes, exceeded, separability.MayContinue, separability.DependsOnPrevious);
    }

    /// <summary>Builds the objects of a text <see cref="Scan"/> found within the limits.</summary>
    /// <exception cref="YamlException">The text does not load (a duplicate key).</exception>
    internal static Reading Build(string yaml, Scanned scanned)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var objects = ImmutableArray.CreateBuilder<Found>();
        foreach (var node in stream.Documents.SelectMany(d => Flatten(d.RootNode)))
        {
            if (Find(node) is { } found)
            {
                objects.Add(found);
            }
        }

        return new Reading(scanned, objects.ToImmutable());
    }

    /// <summary>The objects of a stream's texts as one reading of <paramref name="sourceName"/>, each text given with the number of lines before it in the stream.</summary>
    internal static Result Assemble(string sourceName, IEnumerable<(Reading Reading, long LinesBefore)> texts)
    {
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

        foreach (var (reading, linesBefore) in texts)
        {
            foreach (var found in reading.Objects)
            {
                if (found.Refusal is { } refusal)
                {
                    var line = linesBefore + found.Line;
                    var where = found.Name is null ? $"{sourceName} (line {line})" : $"{found.Name} ({sourceName}, line {line})";
                    rejections.Add(new Rejection(where, refusal.Field, refusal.Reason));
                    if (found.Name is not null)
                    {
                        refused.Add(found.Name);
                    }

                    continue;
                }

                switch (found.Value)
                {
                    case V1Ingress ingress:
                        ingresses.Add(ingress);
                        break;
                    case V1Service service:
                        services.Add(service);
                        break;
                    case V1EndpointSlice slice:
                        slices.Add(slice);
                        break;
                    case V1Secret secret:
                        secrets.Add(secret);
                        break;
                    case V1ConfigMap configMap:
                        configMaps.Add(configMap);
                        break;
                    case V1Namespace ns:
                        namespaces.Add(ns);
                        break;
                    case GatewayClass gatewayClass:
                        classes.Add(gatewayClass);
                        break;
                    case Gateway gateway:
                        gateways.Add(gateway);
                        break;
                    case HttpRoute httpRoute:
                        httpRoutes.Add(httpRoute);
                        break;
                    case ReferenceGrant grant:
                        grants.Add(grant);
                        break;
                    default:
                        throw new InvalidOperationException($"{found.Value?.GetType()} is not a kind the reader reads");
                }
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

    internal static Result Refuse(string sourceName, (string Field, string Reason) refusal) =>
        new(ClusterObjects.Empty, PrintableRejections.Of([new Rejection(sourceName, refusal.Field, refusal.Reason)]));

    /// <summary>The object a document (or List item) holds, its refusal, or null for a kind the proxy does not read.</summary>
    private static Found? Find(YamlMappingNode node)
    {
        var apiVersion = Scalar(node, "apiVersion");
        var kind = Scalar(node, "kind");
        var name = ObjectName(node, kind);
        try
        {
            return (kind, apiVersion) switch
            {
                ("Ingress", "networking.k8s.io/v1") => Accepted(Deserialize<V1Ingress>(node)),
                ("Service", "v1") => Accepted(Deserialize<V1Service>(node)),
                ("EndpointSlice", "discovery.k8s.io/v1") => Accepted(Deserialize<V1EndpointSlice>(node)),
                ("Secret", "v1") => Accepted(Deserialize<V1Secret>(node)),
                ("ConfigMap", "v1") => Accepted(Deserialize<V1ConfigMap>(node)),
                ("Namespace", "v1") => Accepted(Deserialize<V1Namespace>(node)),
                ("GatewayClass", GatewayApiGroup.V1 or GatewayApiGroup.V1Beta1) => Strict<GatewayClass>(),
                ("Gateway", GatewayApiGroup.V1 or GatewayApiGroup.V1Beta1) => Strict<Gateway>(),
                (HttpRoute.KindName, GatewayApiGroup.V1 or GatewayApiGroup.V1Beta1) => Strict<HttpRoute>(),
                ("ReferenceGrant", GatewayApiGroup.V1 or GatewayApiGroup.V1Beta1) => Strict<ReferenceGrant>(),
                ("GatewayClass" or "Gateway" or HttpRoute.KindName or "ReferenceGrant", _) => Refused("apiVersion",
                    $"{kind} apiVersion '{apiVersion}' is not supported; use {GatewayApiGroup.V1} (or {GatewayApiGroup.V1Beta1})"),
                ("Ingress" or "EndpointSlice", _) => Refused("apiVersion",
                    $"{kind} apiVersion '{apiVersion}' is not supported; use {(kind == "Ingress" ? "networking.k8s.io/v1" : "discovery.k8s.io/v1")}"),
                (null, _) => Refused("kind", "the document has no 'kind'"),
                _ => null,
            };
        }
        catch (YamlException e)
        {
            return Refused($"line {e.Start.Line}, column {e.Start.Column}", $"{kind} does not match the Kubernetes schema: {e.InnerException?.Message ?? e.Message}");
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException or InvalidOperationException or System.Text.Json.JsonException)
        {
            // A value of the wrong shape for its field (a port beyond Int32, a malformed date) refuses this object, not the input.
            return Refused("(schema)", $"{kind} does not match the Kubernetes schema: {e.Message}");
        }

        Found Accepted(object value) => new(node.Start.Line, name, value, null);

        Found Refused(string field, string reason) => new(node.Start.Line, name, null, (field, reason));

        // A Gateway API object with a field its schema does not know is refused whole, naming the field.
        Found Strict<T>() => StrictFields.FirstUnknown(node, typeof(T)) is { } unknown
            ? Refused(unknown, $"{kind} has a field its schema does not know (a typo?); the object is ignored")
            : Accepted(Deserialize<T>(node)!);
    }

    /// <summary>"Ingress shop/web" from the raw metadata, readable even when the object is not; null without a kind or name.</summary>
    private static string? ObjectName(YamlMappingNode node, string? kind) =>
        kind is not null
        && node.Children.TryGetValue(new YamlScalarNode("metadata"), out var metadata)
        && metadata is YamlMappingNode fields
        && Scalar(fields, "name") is { Length: > 0 } name
            ? $"{kind} {Scalar(fields, "namespace") ?? "default"}/{name}"
            : null;

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
