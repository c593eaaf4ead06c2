using k8s.Models;

namespace Orleans.Proxy.Translation.GatewayApi;

/// <summary>The condition types and reasons of Gateway API v1 status, as the API spells them.</summary>
public static class GatewayConditions
{
    public const string Accepted = "Accepted";
    public const string Programmed = "Programmed";
    public const string ResolvedRefs = "ResolvedRefs";
    public const string Conflicted = "Conflicted";
    public const string PartiallyInvalid = "PartiallyInvalid";

    public const string ReasonAccepted = "Accepted";
    public const string ReasonProgrammed = "Programmed";
    public const string ReasonResolvedRefs = "ResolvedRefs";
    public const string ReasonInvalid = "Invalid";
    public const string ReasonInvalidParameters = "InvalidParameters";
    public const string ReasonListenersNotValid = "ListenersNotValid";
    public const string ReasonUnsupportedProtocol = "UnsupportedProtocol";
    public const string ReasonInvalidCertificateRef = "InvalidCertificateRef";
    public const string ReasonInvalidRouteKinds = "InvalidRouteKinds";
    public const string ReasonRefNotPermitted = "RefNotPermitted";
    public const string ReasonHostnameConflict = "HostnameConflict";
    public const string ReasonProtocolConflict = "ProtocolConflict";
    public const string ReasonNoConflicts = "NoConflicts";
    public const string ReasonNotAllowedByListeners = "NotAllowedByListeners";
    public const string ReasonNoMatchingListenerHostname = "NoMatchingListenerHostname";
    public const string ReasonNoMatchingParent = "NoMatchingParent";
    public const string ReasonUnsupportedValue = "UnsupportedValue";
    public const string ReasonInvalidKind = "InvalidKind";
    public const string ReasonBackendNotFound = "BackendNotFound";

    public static V1Condition Condition(string type, bool status, string reason, string message, long? generation) => new()
    {
        Type = type,
        Status = status ? "True" : "False",
        Reason = reason,
        Message = message,
        ObservedGeneration = generation,
    };
}
