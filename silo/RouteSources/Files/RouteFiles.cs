using Orleans.Proxy.Translation.Files;

namespace Orleans.Proxy.Silo.RouteSources.Files;

/// <summary>The route files of a folder, as the file source and the migration report both read them.</summary>
internal static class RouteFiles
{
    private static readonly string[] Patterns = ["*.yaml", "*.yml", "*.json"];

    /// <summary>Every *.yaml, *.yml and *.json file below <paramref name="directory"/>, in ordinal order so every reading combines them alike.</summary>
    public static List<string> Find(string directory) =>
        [.. Patterns.SelectMany(p => Directory.EnumerateFiles(directory, p, SearchOption.AllDirectories)).Order(StringComparer.Ordinal)];

    /// <summary>
    /// A route file's bytes, at most one byte past what the reader accepts: an oversized file is
    /// refused by <see cref="KubernetesYamlReader"/> without being read whole first.
    /// </summary>
    public static byte[] Read(string file)
    {
        using var stream = File.OpenRead(file);
        var content = new byte[Math.Min(stream.Length, KubernetesYamlReader.MaxInputLength + 1L)];
        stream.ReadExactly(content);
        return content;
    }
}
