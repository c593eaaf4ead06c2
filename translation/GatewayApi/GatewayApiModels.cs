using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Orleans.Proxy.Translation.GatewayApi;

// The Gateway API v1 objects this controller reads (standard channel, gateway.networking.k8s.io),
// with only the fields it acts on. KubernetesClient has no Gateway API types, and generating them
// from the CRDs would carry every experimental field; these follow the upstream v1.2 schemas' names.
// Unknown fields are refused when read from files (StrictFields); the API server prunes them itself.

/// <summary>A Gateway API object: kind, metadata, spec and status.</summary>
public abstract class GatewayApiObject<TSpec, TStatus> : IKubernetesObject<V1ObjectMeta>
    where TSpec : new()
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = GatewayApiGroup.V1;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = string.Empty;

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public TSpec Spec { get; set; } = new();

    [JsonPropertyName("status")]
    public TStatus? Status { get; set; }
}

/// <summary>The API group and the plural names its list and watch paths use.</summary>
public static class GatewayApiGroup
{
    public const string Group = "gateway.networking.k8s.io";
    public const string V1 = Group + "/v1";
    public const string V1Beta1 = Group + "/v1beta1";
}

public sealed class GatewayClass : GatewayApiObject<GatewayClassSpec, GatewayClassStatus>
{
    public const string Plural = "gatewayclasses";
}

public sealed record GatewayClassSpec
{
    [JsonPropertyName("controllerName")]
    public string? ControllerName { get; init; }

    [JsonPropertyName("description")]
    public string? Description { get; init; }

    [JsonPropertyName("parametersRef")]
    public ParametersReference? ParametersRef { get; init; }
}

public sealed record ParametersReference
{
    [JsonPropertyName("group")]
    public string? Group { get; init; }

    [JsonPropertyName("kind")]
    public string? Kind { get; init; }

    [JsonPropertyName("name")]
    public string? Name { get; init; }

    [JsonPropertyName("namespace")]
    public string? Namespace { get; init; }
}

public sealed record GatewayClassStatus
{
    [JsonPropertyName("conditions")]
    public IList<V1Condition>? Conditions { get; init; }
}

public sealed class Gateway : GatewayApiObject<GatewaySpec, GatewayStatus>
{
    public const string Plural = "gateways";
}

public sealed record GatewaySpec
{
    [JsonPropertyName("gatewayClassName")]
    public string? GatewayClassName { get; init; }

    [JsonPropertyName("listeners")]
    public IList<Listener>? Listeners { get; init; }

    [JsonPropertyName("addresses")]
    public IList<GatewayAddress>? Addresses { get; init; }

    [JsonPropertyName("infrastructure")]
    public GatewayInfrastructure? Infrastructure { get; init; }
}

public sealed record GatewayInfrastructure
{
    [JsonPropertyName("labels")]
    public IDictionary<string, string>? Labels { get; init; }

    [JsonPropertyName("annotations")]
    public IDictionary<string, string>? Annotations { get; init; }

    [JsonPropertyName("parametersRef")]
    public ParametersReference? ParametersRef { get; init; }
}

public sealed record Listener
{
    [JsonPropertyName("name")]
    public string? Name { get; init; }

    [JsonPropertyName("hostname")]
    public string? Hostname { get; init; }

    [JsonPropertyName("port")]
    public int? Port { get; init; }

    [JsonPropertyName("protocol")]
    public string? Protocol { get; init; }

    [JsonPropertyName("tls")]
    public GatewayTlsConfig? Tls { get; init; }

    [JsonPropertyName("allowedRoutes")]
    public AllowedRoutes? AllowedRoutes { get; init; }
}

public sealed record GatewayTlsConfig
{
    [JsonPropertyName("mode")]
    public string? Mode { get; init; }

    [JsonPropertyName("certificateRefs")]
    public IList<SecretObjectReference>? CertificateRefs { get; init; }

    [JsonPropertyName("options")]
    public IDictionary<string, string>? Options { get; init; }
}

public sealed record SecretObjectReference
{
    [JsonPropertyName("group")]
    public string? Group { get; init; }

    [JsonPropertyName("kind")]
    public string? Kind { get; init; }

    [JsonPropertyName("name")]
    public string? Name { get; init; }

    [JsonPropertyName("namespace")]
    public string? Namespace { get; init; }
}

public sealed record AllowedRoutes
{
    [JsonPropertyName("namespaces")]
    public RouteNamespaces? Namespaces { get; init; }

    [JsonPropertyName("kinds")]
    public IList<RouteGroupKind>? Kinds { get; init; }
}

public sealed record RouteNamespaces
{
    /// <summary>Same (the default), All or Selector.</summary>
    [JsonPropertyName("from")]
    public string? From { get; init; }

    [JsonPropertyName("selector")]
    public V1LabelSelector? Selector { get; init; }
}

public sealed record RouteGroupKind
{
    [JsonPropertyName("group")]
    public string? Group { get; init; }

    [JsonPropertyName("kind")]
    public string? Kind { get; init; }
}

public sealed record GatewayAddress
{
    [JsonPropertyName("type")]
    public string? Type { get; init; }

    [JsonPropertyName("value")]
    public string? Value { get; init; }
}

public sealed record GatewayStatus
{
    [JsonPropertyName("addresses")]
    public IList<GatewayAddress>? Addresses { get; init; }

    [JsonPropertyName("conditions")]
    public IList<V1Condition>? Conditions { get; init; }

    [JsonPropertyName("listeners")]
    public IList<ListenerStatus>? Listeners { get; init; }
}

public sealed record ListenerStatus
{
    [JsonPropertyName("name")]
    public string Name { get; init; } = string.Empty;

    [JsonPropertyName("supportedKinds")]
    public IList<RouteGroupKind> SupportedKinds { get; init; } = [];

    [JsonPropertyName("attachedRoutes")]
    public int AttachedRoutes { get; init; }

    [JsonPropertyName("conditions")]
    public IList<V1Condition> Conditions { get; init; } = [];
}

public sealed class HttpRoute : GatewayApiObject<HttpRouteSpec, RouteStatus>
{
    public const string Plural = "httproutes";
    public const string KindName = "HTTPRoute";
}

public sealed record HttpRouteSpec
{
    [JsonPropertyName("parentRefs")]
    public IList<ParentReference>? ParentRefs { get; init; }

    [JsonPropertyName("hostnames")]
    public IList<string>? Hostnames { get; init; }

    [JsonPropertyName("rules")]
    public IList<HttpRouteRuleSpec>? Rules { get; init; }
}

public sealed record ParentReference
{
    [JsonPropertyName("group")]
    public string? Group { get; init; }

    [JsonPropertyName("kind")]
    public string? Kind { get; init; }

    [JsonPropertyName("namespace")]
    public string? Namespace { get; init; }

    [JsonPropertyName("name")]
    public string? Name { get; init; }

    [JsonPropertyName("sectionName")]
    public string? SectionName { get; init; }

    [JsonPropertyName("port")]
    public int? Port { get; init; }
}

public sealed record HttpRouteRuleSpec
{
    [JsonPropertyName("name")]
    public string? Name { get; init; }

    [JsonPropertyName("matches")]
    public IList<HttpRouteMatch>? Matches { get; init; }

    [JsonPropertyName("filters")]
    public IList<HttpRouteFilter>? Filters { get; init; }

    [JsonPropertyName("backendRefs")]
    public IList<HttpBackendRef>? BackendRefs { get; init; }

    [JsonPropertyName("timeouts")]
    public HttpRouteTimeouts? Timeouts { get; init; }
}

public sealed record HttpRouteMatch
{
    [JsonPropertyName("path")]
    public HttpPathMatch? Path { get; init; }

    [JsonPropertyName("headers")]
    public IList<HttpValueMatch>? Headers { get; init; }

    [JsonPropertyName("queryParams")]
    public IList<HttpValueMatch>? QueryParams { get; init; }

    [JsonPropertyName("method")]
    public string? Method { get; init; }
}

public sealed record HttpPathMatch
{
    /// <summary>Exact, PathPrefix (the default) or RegularExpression.</summary>
    [JsonPropertyName("type")]
    public string? Type { get; init; }

    [JsonPropertyName("value")]
    public string? Value { get; init; }
}

/// <summary>A header or query parameter match.</summary>
public sealed record HttpValueMatch
{
    /// <summary>Exact (the default) or RegularExpression.</summary>
    [JsonPropertyName("type")]
    public string? Type { get; init; }

    [JsonPropertyName("name")]
    public string? Name { get; init; }

    [JsonPropertyName("value")]
    public string? Value { get; init; }
}

public sealed record HttpRouteFilter
{
    [JsonPropertyName("type")]
    public string? Type { get; init; }

    [JsonPropertyName("requestHeaderModifier")]
    public HttpHeaderFilter? RequestHeaderModifier { get; init; }

    [JsonPropertyName("responseHeaderModifier")]
    public HttpHeaderFilter? ResponseHeaderModifier { get; init; }

    [JsonPropertyName("requestRedirect")]
    public HttpRequestRedirectFilter? RequestRedirect { get; init; }

    [JsonPropertyName("urlRewrite")]
    public HttpUrlRewriteFilter? UrlRewrite { get; init; }

    [JsonPropertyName("requestMirror")]
    public HttpRequestMirrorFilter? RequestMirror { get; init; }

    [JsonPropertyName("extensionRef")]
    public RouteGroupKind? ExtensionRef { get; init; }
}

public sealed record HttpHeaderFilter
{
    [JsonPropertyName("set")]
    public IList<HttpHeader>? Set { get; init; }

    [JsonPropertyName("add")]
    public IList<HttpHeader>? Add { get; init; }

    [JsonPropertyName("remove")]
    public IList<string>? Remove { get; init; }
}

public sealed record HttpHeader
{
    [JsonPropertyName("name")]
    public string? Name { get; init; }

    [JsonPropertyName("value")]
    public string? Value { get; init; }
}

public sealed record HttpRequestRedirectFilter
{
    [JsonPropertyName("scheme")]
    public string? Scheme { get; init; }

    [JsonPropertyName("hostname")]
    public string? Hostname { get; init; }

    [JsonPropertyName("path")]
    public HttpPathModifier? Path { get; init; }

    [JsonPropertyName("port")]
    public int? Port { get; init; }

    [JsonPropertyName("statusCode")]
    public int? StatusCode { get; init; }
}

public sealed record HttpUrlRewriteFilter
{
    [JsonPropertyName("hostname")]
    public string? Hostname { get; init; }

    [JsonPropertyName("path")]
    public HttpPathModifier? Path { get; init; }
}

public sealed record HttpPathModifier
{
    /// <summary>ReplaceFullPath or ReplacePrefixMatch.</summary>
    [JsonPropertyName("type")]
    public string? Type { get; init; }

    [JsonPropertyName("replaceFullPath")]
    public string? ReplaceFullPath { get; init; }

    [JsonPropertyName("replacePrefixMatch")]
    public string? ReplacePrefixMatch { get; init; }
}

public sealed record HttpRequestMirrorFilter
{
    [JsonPropertyName("backendRef")]
    public BackendObjectReference? BackendRef { get; init; }

    [JsonPropertyName("percent")]
    public int? Percent { get; init; }

    [JsonPropertyName("fraction")]
    public Fraction? Fraction { get; init; }
}

public sealed record Fraction
{
    [JsonPropertyName("numerator")]
    public int Numerator { get; init; }

    [JsonPropertyName("denominator")]
    public int? Denominator { get; init; }
}

public record BackendObjectReference
{
    [JsonPropertyName("group")]
    public string? Group { get; init; }

    [JsonPropertyName("kind")]
    public string? Kind { get; init; }

    [JsonPropertyName("name")]
    public string? Name { get; init; }

    [JsonPropertyName("namespace")]
    public string? Namespace { get; init; }

    [JsonPropertyName("port")]
    public int? Port { get; init; }
}

public sealed record HttpBackendRef : BackendObjectReference
{
    [JsonPropertyName("weight")]
    public int? Weight { get; init; }

    [JsonPropertyName("filters")]
    public IList<HttpRouteFilter>? Filters { get; init; }
}

public sealed record HttpRouteTimeouts
{
    [JsonPropertyName("request")]
    public string? Request { get; init; }

    [JsonPropertyName("backendRequest")]
    public string? BackendRequest { get; init; }
}

public sealed record RouteStatus
{
    [JsonPropertyName("parents")]
    public IList<RouteParentStatus> Parents { get; init; } = [];
}

public sealed record RouteParentStatus
{
    [JsonPropertyName("parentRef")]
    public ParentReference ParentRef { get; init; } = new();

    [JsonPropertyName("controllerName")]
    public string ControllerName { get; init; } = string.Empty;

    [JsonPropertyName("conditions")]
    public IList<V1Condition> Conditions { get; init; } = [];
}

public sealed class ReferenceGrant : GatewayApiObject<ReferenceGrantSpec, object>
{
    public const string Plural = "referencegrants";
}

public sealed record ReferenceGrantSpec
{
    [JsonPropertyName("from")]
    public IList<ReferenceGrantFrom>? From { get; init; }

    [JsonPropertyName("to")]
    public IList<ReferenceGrantTo>? To { get; init; }
}

public sealed record ReferenceGrantFrom
{
    [JsonPropertyName("group")]
    public string? Group { get; init; }

    [JsonPropertyName("kind")]
    public string? Kind { get; init; }

    [JsonPropertyName("namespace")]
    public string? Namespace { get; init; }
}

public sealed record ReferenceGrantTo
{
    [JsonPropertyName("group")]
    public string? Group { get; init; }

    [JsonPropertyName("kind")]
    public string? Kind { get; init; }

    [JsonPropertyName("name")]
    public string? Name { get; init; }
}
