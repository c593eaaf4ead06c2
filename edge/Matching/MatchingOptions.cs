namespace Orleans.Proxy.Edge.Matching;

/// <summary>Section "Matching": how the edge reads a request path before it matches routes (see docs/matching.md).</summary>
public sealed class MatchingOptions
{
    public const string Section = "Matching";

    /// <summary>What to do with a path holding %2F or %5C (an escaped '/' or '\').</summary>
    public EscapedSlashAction EscapedSlashes { get; set; } = EscapedSlashAction.Keep;

    /// <summary>What ';' (a path parameter, as in "/app;jsessionid=1") means to matching.</summary>
    public PathParameterAction PathParameters { get; set; } = PathParameterAction.IgnoreForMatching;

    /// <summary>Merge adjacent slashes ("//admin" is "/admin"), as nginx's merge_slashes and Envoy's merge_slashes do.</summary>
    public bool MergeSlashes { get; set; } = true;
}

public enum EscapedSlashAction
{
    /// <summary>Kept as they are (hex digits upper-cased): part of a path element, not a separator; forwarded unchanged.</summary>
    Keep,

    /// <summary>The request is answered 400.</summary>
    Reject,

    /// <summary>Decoded to '/', then normalized and matched like any other slash; the decoded path is forwarded.</summary>
    Unescape,
}

public enum PathParameterAction
{
    /// <summary>
    /// For matching, an element ends at its first ';' ("/admin;x" is matched as "/admin", "/a/..;/b" as "/b"),
    /// the way servlet containers read it; the path is forwarded with its parameters.
    /// </summary>
    IgnoreForMatching,

    /// <summary>';' is an ordinary character ("/admin;x" is not under "/admin"), as in ASP.NET Core, nginx and Envoy.</summary>
    Literal,

    /// <summary>A path holding ';' is answered 400.</summary>
    Reject,
}
