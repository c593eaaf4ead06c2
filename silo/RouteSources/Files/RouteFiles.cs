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

    /// <summary>What tells a file's content changed without reading it: the file its path resolves to, and its length and last write time.</summary>
    /// <param name="Target">The path with every symbolic link resolved: a Kubernetes ConfigMap mount swaps its <c>..data</c> link to a new folder.</param>
    /// <param name="LastWrite">In ticks (100 ns); a rewrite of the same length within one tick of the file system's clock keeps it, which the watcher's event or the periodic full reading catch.</param>
    public readonly record struct FileStamp(string Target, long Length, long LastWrite);

    public static FileStamp Stamp(string file)
    {
        var target = Resolve(Path.GetFullPath(file), depth: 0);
        var info = new FileInfo(target);
        return info.Exists ? new FileStamp(target, info.Length, info.LastWriteTimeUtc.Ticks) : throw new FileNotFoundException("gone", file);
    }

    /// <summary>The path with every link in it resolved, from its root down.</summary>
    private static string Resolve(string path, int depth)
    {
        // Links that lead in a circle: give up as the operating system would (ELOOP).
        if (depth > 40)
        {
            throw new IOException($"too many levels of symbolic links at {path}");
        }

        var root = Path.GetPathRoot(path)!;
        var resolved = root;
        foreach (var part in path[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            var next = Path.Combine(resolved, part);
            resolved = new FileInfo(next).LinkTarget is { } target ? Resolve(Path.GetFullPath(target, resolved), depth + 1) : next;
        }

        return resolved;
    }
}
