namespace Orleans.Proxy.Silo.Routing;

/// <summary>The annotation names this controller reads.</summary>
internal static class Annotations
{
    public const string Prefix = "orleans-proxy.io/";

    /// <summary>"Name=value, Name2=value2": every header must match.</summary>
    public const string MatchHeaders = Prefix + "match-headers";

    /// <summary>"name=value, name2=value2": every query parameter must match.</summary>
    public const string MatchQuery = Prefix + "match-query";

    /// <summary>Every name under <see cref="Prefix"/> the converter understands; anything else is reported.</summary>
    public static readonly IReadOnlySet<string> Known = new HashSet<string>(StringComparer.Ordinal)
    {
        MatchHeaders,
        MatchQuery,
    };
}
