using System.Collections.Immutable;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Proxy.Routing;
using Orleans.Proxy.Translation.Annotations;
using Orleans.Proxy.Translation.Ingress;
using Orleans.Proxy.Translation.Ingress.LastGood;
using Orleans.Proxy.Silo.Publishing;

using Orleans.Proxy.Translation.Files;
namespace Orleans.Proxy.Silo.RouteSources.Files;

/// <summary>
/// Route source for file mode: every *.yaml, *.yml and *.json file in a folder, re-read on any
/// change. A file that stops parsing keeps its last good content (an editor's half-written save
/// must not drop routes) and is reported; a deleted file's objects go. An object whose new version is refused
/// whole keeps its previous version serving (<see cref="LastGoodVersions"/>). A changed file has only its documents
/// whose text changed parsed again (<see cref="IncrementalYamlReader"/>).
/// </summary>
internal sealed partial class FileRouteSource(
    RouteReconciler reconciler,
    IOptions<RoutesOptions> options,
    ILogger<FileRouteSource> logger) : BackgroundService
{
    private readonly Dictionary<string, ClusterObjects> _lastGood = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IncrementalYamlReader> _readers = new(StringComparer.Ordinal);
    private readonly LastGoodVersions _versions = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var directory = Path.GetFullPath(options.Value.Directory!);
        var changed = new SemaphoreSlim(0, int.MaxValue);
        using var watcher = new FileSystemWatcher(directory) { IncludeSubdirectories = true, NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.DirectoryName };
        FileSystemEventHandler onChange = (_, _) => changed.Release();
        watcher.Changed += onChange;
        watcher.Created += onChange;
        watcher.Deleted += onChange;
        watcher.Renamed += (_, _) => changed.Release();
        watcher.Error += (_, e) =>
        {
            LogWatchError(e.GetException(), directory);
            changed.Release();
        };
        watcher.EnableRaisingEvents = true;
        LogWatching(directory);

        while (!stoppingToken.IsCancellationRequested)
        {
            Load(directory);
            await changed.WaitAsync(stoppingToken);
            LogChanged(directory);
            await Task.Delay(options.Value.FileDebounce, stoppingToken);
            while (changed.CurrentCount > 0)
            {
                await changed.WaitAsync(stoppingToken);
            }
        }
    }

    private void Load(string directory)
    {
        var rejections = ImmutableArray.CreateBuilder<Rejection>();
        var unreadable = new List<string>();
        var files = RouteFiles.Find(directory);

        foreach (var gone in _lastGood.Keys.Except(files).ToList())
        {
            _lastGood.Remove(gone);
        }

        foreach (var gone in _readers.Keys.Except(files).ToList())
        {
            _readers.Remove(gone);
        }

        foreach (var file in files)
        {
            var name = Path.GetRelativePath(directory, file);
            byte[] content;
            try
            {
                content = RouteFiles.Read(file);
            }
            catch (IOException e)
            {
                rejections.Add(new Rejection(name, "file", $"cannot be read ({e.Message}); serving its last good content"));
                continue;
            }

            // Parsing is most of a reload's cost (5 s for 10,000 Ingresses): only the documents whose text changed are parsed again.
            if (!_readers.TryGetValue(file, out var reader))
            {
                _readers[file] = reader = new IncrementalYamlReader();
            }

            var result = reader.Read(name, content);
            if (reader.LastRead.Parsed > 0)
            {
                LogFileRead(name, reader.LastRead.Parsed, reader.LastRead.Texts);
            }

            rejections.AddRange(result.Rejections);
            unreadable.AddRange(result.Refused);
            var parsedNothing = ReferenceEquals(result.Objects, ClusterObjects.Empty);
            if (parsedNothing && _lastGood.ContainsKey(file))
            {
                rejections.Add(new Rejection(name, "file", "serving its last good content until it parses again"));
                continue;
            }

            _lastGood[file] = result.Objects;
        }

        var objects = ClusterObjects.Combine(_lastGood.Values);
        var desired = _versions.Convert(objects, unreadable, options.Value.Conversion);
        desired = desired with { Rejections = [.. rejections, .. desired.Rejections] };
        LogLoaded(files.Count, objects.Ingresses.Length, objects.GatewayApi.HttpRoutes.Length, desired.Hosts.Count, desired.Rejections.Length);
        reconciler.SetDesired(desired);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Watching {Directory} for route files (*.yaml, *.yml, *.json)")]
    private partial void LogWatching(string directory);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Directory} changed; reading it after the debounce")]
    private partial void LogChanged(string directory);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Read {File}: parsed {Parsed} YAML texts; its reading is made of {Texts} (1 when the file is read whole)")]
    private partial void LogFileRead(string file, int parsed, int texts);

    [LoggerMessage(Level = LogLevel.Information, Message = "Read {Files} route files: {Ingresses} Ingresses, {HttpRoutes} HTTPRoutes, {Hosts} hosts, {Rejections} rejections")]
    private partial void LogLoaded(int files, int ingresses, int httpRoutes, int hosts, int rejections);

    [LoggerMessage(Level = LogLevel.Error, Message = "Watching {Directory} failed; re-reading it")]
    private partial void LogWatchError(Exception exception, string directory);
}
