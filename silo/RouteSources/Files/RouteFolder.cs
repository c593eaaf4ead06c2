using System.Collections.Immutable;
using Orleans.Proxy.Routing;
using Orleans.Proxy.Translation.Files;
using Orleans.Proxy.Translation.Ingress;

namespace Orleans.Proxy.Silo.RouteSources.Files;

/// <summary>
/// The route files of a folder as last read. A reading reads again only the files the caller names and those whose stamp
/// (<see cref="RouteFiles.Stamp"/>) changed since their last reading; the others keep their objects and rejections, so a
/// change costs the files it touched, not the table. A file that stops parsing keeps its last good content and is
/// reported, and so does a file read empty (as it is halfway through an in-place rewrite); a deleted file's objects go. Not thread-safe: one reader loop.
/// </summary>
internal sealed class RouteFolder(string directory)
{
    private readonly Dictionary<string, RouteFile> _files = new(StringComparer.Ordinal);
    private ClusterObjects? _combined;

    /// <summary>The folder's objects and its files' rejections and refused objects, with how many files there are and how many were read.</summary>
    /// <param name="Parsed">For each file read whose documents were parsed: how many texts, and how many its reading is made of (1 when read whole).</param>
    public sealed record Reading(
        ClusterObjects Objects, ImmutableArray<Rejection> Rejections, IReadOnlyCollection<string> Unreadable, int Files, int Read,
        IReadOnlyList<(string File, int Parsed, int Texts)> Parsed);

    /// <param name="named">Paths the watcher named (files or folders): read again whatever their stamp. Null: read every file.</param>
    public Reading Read(IReadOnlySet<string>? named)
    {
        var paths = RouteFiles.Find(directory);
        var present = paths.ToHashSet(StringComparer.Ordinal);
        var gone = _files.Keys.Where(p => !present.Contains(p)).ToList();
        foreach (var path in gone)
        {
            _files.Remove(path);
        }

        var changed = gone.Count > 0;

        var read = 0;
        var parsed = new List<(string, int, int)>();
        foreach (var path in paths)
        {
            if (!_files.TryGetValue(path, out var file))
            {
                _files[path] = file = new RouteFile(Path.GetRelativePath(directory, path));
            }

            RouteFiles.FileStamp? stamp;
            try
            {
                stamp = RouteFiles.Stamp(path);
            }
            catch (IOException)
            {
                // Read below reports why; without a stamp the file is read again next time.
                stamp = null;
            }

            if (named is not null && stamp is not null && stamp == file.Stamp && !IsNamed(path, named))
            {
                continue;
            }

            read++;
            var objects = file.Objects;
            file.Read(path, stamp);
            changed |= !ReferenceEquals(objects, file.Objects);
            if (file.Parsed is { Parsed: > 0 } counts)
            {
                parsed.Add((file.Name, counts.Parsed, counts.Texts));
            }
        }

        // Every file's objects are copied into one set only when one of them changed.
        if (changed || _combined is null)
        {
            _combined = ClusterObjects.Combine(paths.Select(p => _files[p].Objects).OfType<ClusterObjects>());
        }

        return new Reading(
            _combined,
            [.. paths.SelectMany(p => _files[p].Rejections)],
            [.. paths.SelectMany(p => _files[p].Refused)],
            paths.Count,
            read,
            parsed);
    }

    private static bool IsNamed(string path, IReadOnlySet<string> named)
    {
        // A folder renamed or replaced names only itself: its files count as named too.
        for (var at = path; !string.IsNullOrEmpty(at); at = Path.GetDirectoryName(at))
        {
            if (named.Contains(at))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>One file: its reader (documents whose text did not change are not parsed again), last good objects and last reading's rejections.</summary>
    private sealed class RouteFile(string name)
    {
        private readonly IncrementalYamlReader _reader = new();

        public string Name => name;

        /// <summary>What the last read parsed; null when it could not read the file.</summary>
        public (int Parsed, int Texts)? Parsed { get; private set; }

        public RouteFiles.FileStamp? Stamp { get; private set; }

        public ClusterObjects? Objects { get; private set; }

        public ImmutableArray<Rejection> Rejections { get; private set; } = [];

        public ImmutableArray<string> Refused { get; private set; } = [];

        /// <param name="stamp">Taken before the read: a write during it changes the stamp, so the file is read again next time.</param>
        public void Read(string path, RouteFiles.FileStamp? stamp)
        {
            byte[] content;
            try
            {
                content = RouteFiles.Read(path);
            }
            catch (IOException e)
            {
                // Without a stamp the file is read again next time.
                KeepLastGood(stamp: null, $"cannot be read ({e.Message}); serving its last good content");
                return;
            }

            // A file rewritten in place is empty between its truncation and its write: reading it then must not drop its
            // routes. An emptied file keeps its last good content (its write changes the stamp); deleting it removes its objects.
            if (content.Length == 0 && Objects is not null)
            {
                KeepLastGood(stamp, "is empty (being written?); serving its last good content until it has content again or is deleted");
                return;
            }

            var result = _reader.Read(name, content);
            Parsed = _reader.LastRead;
            Stamp = stamp;
            Refused = result.Refused;
            if (ReferenceEquals(result.Objects, ClusterObjects.Empty) && Objects is not null)
            {
                Rejections = [.. result.Rejections, new Rejection(name, "file", "serving its last good content until it parses again")];
                return;
            }

            Rejections = result.Rejections;
            Objects = result.Objects;
        }

        /// <summary>A reading that parsed nothing: the objects stay, and the file's one rejection says why.</summary>
        private void KeepLastGood(RouteFiles.FileStamp? stamp, string reason)
        {
            Stamp = stamp;
            Parsed = null;
            Rejections = [new Rejection(name, "file", reason)];
            Refused = [];
        }
    }
}
