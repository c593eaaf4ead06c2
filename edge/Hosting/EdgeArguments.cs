using Orleans.Proxy.Silo.Diagnostics;

namespace Orleans.Proxy.Edge.Hosting;

/// <summary>Short flags for the command line, mapped to configuration keys.</summary>
internal static class EdgeArguments
{
    private static readonly Dictionary<string, string> Flags = new(StringComparer.Ordinal)
    {
        ["--demo"] = "--Edge:Demo=true",
        ["--embedded"] = "--Edge:Mode=Embedded",
        ["--client"] = "--Edge:Mode=Client",
    };

    public static string[] Normalize(string[] args) =>
        [.. DiagnosticsHostingExtensions.NormalizeArguments(args).Select(a => Flags.TryGetValue(a, out var mapped) ? mapped : a)];
}
