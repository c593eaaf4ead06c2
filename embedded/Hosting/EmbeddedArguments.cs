using Orleans.Proxy.Hosting.Diagnostics;

namespace Orleans.Proxy.Embedded.Hosting;

/// <summary>Short flags for the command line, mapped to configuration keys.</summary>
internal static class EmbeddedArguments
{
    public const string DemoKey = "Demo";

    public static string[] Normalize(string[] args) =>
        [.. DiagnosticsHostingExtensions.NormalizeArguments(args).Select(a => a == "--demo" ? $"--{DemoKey}=true" : a)];
}
