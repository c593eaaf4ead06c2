using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Proxy.Silo.Publishing;
using Orleans.Proxy.Translation.Ingress.LastGood;

namespace Orleans.Proxy.Silo.RouteSources.Files;

/// <summary>
/// Route source for file mode: every *.yaml, *.yml and *.json file in a folder (<see cref="RouteFolder"/>). After a change
/// it reads again the files the watcher named and those whose stamp changed; every <see cref="RoutesOptions.ResyncInterval"/>,
/// and after the watcher fails, it reads every file, since watcher events can be lost and a stamp can miss a rewrite.
/// An object whose new version is refused whole keeps its previous version serving (<see cref="LastGoodVersions"/>).
/// </summary>
internal sealed partial class FileRouteSource(
    RouteReconciler reconciler,
    TimeProvider time,
    IOptions<RoutesOptions> options,
    ILogger<FileRouteSource> logger) : BackgroundService
{
    private readonly LastGoodVersions _versions = new();
    private readonly Lock _lock = new();
    private HashSet<string> _named = new(StringComparer.Ordinal);
    private bool _watchFailed;
    private long? _firstEvent;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var directory = Path.GetFullPath(options.Value.Directory!);
        var folder = new RouteFolder(directory);
        var changed = new SemaphoreSlim(0, int.MaxValue);
        using var watcher = new FileSystemWatcher(directory) { IncludeSubdirectories = true, NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.DirectoryName };
        FileSystemEventHandler onChange = (_, e) =>
        {
            Named(e.FullPath, null);
            changed.Release();
        };
        watcher.Changed += onChange;
        watcher.Created += onChange;
        watcher.Deleted += onChange;
        watcher.Renamed += (_, e) =>
        {
            Named(e.FullPath, e.OldFullPath);
            changed.Release();
        };
        watcher.Error += (_, e) =>
        {
            LogWatchError(e.GetException(), directory);
            lock (_lock)
            {
                _watchFailed = true;
                _firstEvent ??= time.GetTimestamp();
            }

            changed.Release();
        };
        watcher.EnableRaisingEvents = true;
        LogWatching(directory);

        var readAll = true;
        var lastFullReading = time.GetTimestamp();
        while (!stoppingToken.IsCancellationRequested)
        {
            var named = TakeNamed(ref readAll);
            Load(folder, named);
            if (named is null)
            {
                lastFullReading = time.GetTimestamp();
            }

            // Under steady changes the full reading is still due: the next change then reads every file, after its debounce.
            var untilFullReading = options.Value.ResyncInterval - time.GetElapsedTime(lastFullReading);
            var overdue = untilFullReading <= TimeSpan.Zero;
            if (!await changed.WaitAsync(overdue ? TimeSpan.Zero : untilFullReading, stoppingToken))
            {
                readAll = true;
                continue;
            }

            readAll = overdue;
            LogChanged(directory);

            // The debounce runs from the first event, not from when this loop saw it: a change that came while the files
            // were being read has already waited that long.
            long? firstEvent;
            lock (_lock)
            {
                firstEvent = _firstEvent;
            }

            var waited = firstEvent is { } first ? time.GetElapsedTime(first) : TimeSpan.Zero;
            if (options.Value.FileDebounce - waited is { Ticks: > 0 } rest)
            {
                await Task.Delay(rest, time, stoppingToken);
            }

            while (changed.CurrentCount > 0)
            {
                await changed.WaitAsync(stoppingToken);
            }
        }
    }

    private void Named(string path, string? oldPath)
    {
        lock (_lock)
        {
            _named.Add(path);
            if (oldPath is not null)
            {
                _named.Add(oldPath);
            }

            _firstEvent ??= time.GetTimestamp();
        }
    }

    /// <summary>The paths named since the last call, which starts the next change's debounce; null (read everything) when the watcher failed or <paramref name="readAll"/> is set.</summary>
    private HashSet<string>? TakeNamed(ref bool readAll)
    {
        lock (_lock)
        {
            var named = _named;
            _named = new(StringComparer.Ordinal);
            _firstEvent = null;
            readAll |= _watchFailed;
            _watchFailed = false;
            return readAll ? null : named;
        }
    }

    private void Load(RouteFolder folder, HashSet<string>? named)
    {
        var started = time.GetTimestamp();
        var reading = folder.Read(named);
        foreach (var (file, parsed, texts) in reading.Parsed)
        {
            LogFileRead(file, parsed, texts);
        }

        var read = time.GetElapsedTime(started);
        var desired = _versions.Convert(reading.Objects, reading.Unreadable, options.Value.Conversion);
        desired = desired with { Rejections = [.. reading.Rejections, .. desired.Rejections] };
        LogLoaded(reading.Files, reading.Objects.Ingresses.Length, reading.Objects.GatewayApi.HttpRoutes.Length, desired.Hosts.Count, desired.Rejections.Length,
            reading.Read, read.TotalMilliseconds, time.GetElapsedTime(started).TotalMilliseconds - read.TotalMilliseconds);
        reconciler.SetDesired(desired);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Watching {Directory} for route files (*.yaml, *.yml, *.json)")]
    private partial void LogWatching(string directory);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Directory} changed; reading it after the debounce")]
    private partial void LogChanged(string directory);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Read {File}: parsed {Parsed} YAML texts; its reading is made of {Texts} (1 when the file is read whole)")]
    private partial void LogFileRead(string file, int parsed, int texts);

    [LoggerMessage(Level = LogLevel.Information, Message = "Read {Files} route files: {Ingresses} Ingresses, {HttpRoutes} HTTPRoutes, {Hosts} hosts, {Rejections} rejections ({Read} files read in {ReadMs:F1} ms, converted in {ConvertMs:F1} ms)")]
    private partial void LogLoaded(int files, int ingresses, int httpRoutes, int hosts, int rejections, int read, double readMs, double convertMs);

    [LoggerMessage(Level = LogLevel.Error, Message = "Watching {Directory} failed; reading every file again")]
    private partial void LogWatchError(Exception exception, string directory);
}
