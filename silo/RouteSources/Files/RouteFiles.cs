namespace Orleans.Proxy.Silo.RouteSources.Files;

/// <summary>The route files of a folder, as the file source and the migration report both read them.</summary>
internal static class RouteFiles
{
    private static readonly string[] Patterns = ["*.yaml", "*.yml", "*.json"];

    /// <summary>Every *.yaml, *.yml and *.json file below <paramref name="directory"/>, in ordinal order so every reading combines them alike.</summary>
    public static List<string> Find(string directory) =>
        [.. Patterns.SelectMany(p => Directory.EnumerateFiles(directory, p, SearchOption.AllDirectories)).Order(StringComparer.Ordinal)];
}
