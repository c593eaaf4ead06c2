using System.Collections.Concurrent;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Orleans.Proxy.Silo.RouteSources.Kubernetes;

/// <summary>
/// List then watch one resource kind into a cache, as client-go's reflector does: the watch resumes
/// from the last resourceVersion seen (events or bookmarks) when it ends or breaks; a 410 Gone
/// (history compacted) or any failure relists, after which the cache is replaced whole. Every
/// change calls <c>onChange</c>, which only enqueues: reconciling reads the cache. <c>trim</c> drops
/// what the controller never reads before caching (the data of Secrets it cannot use). An
/// <c>optional</c> kind whose API is not installed (404: the Gateway API CRDs) counts as synced and
/// empty, and is listed again every minute, so installing it later is picked up without a restart.
/// </summary>
internal sealed partial class Informer<T>(
    string kind,
    Func<CancellationToken, Task<(IEnumerable<T> Items, string ResourceVersion)>> list,
    Func<string, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType, T)>> watch,
    Action onChange,
    ILogger logger,
    Func<T, T>? trim = null,
    bool optional = false)
    where T : IKubernetesObject<V1ObjectMeta>
{
    private static readonly TimeSpan NotInstalledRetry = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, T> _cache = new(StringComparer.Ordinal);
    private volatile bool _synced;
    private volatile CancellationTokenSource? _watching;
    private volatile bool _relistRequested;

    /// <summary>True once the first list has filled the cache.</summary>
    public bool Synced => _synced;

    public IReadOnlyCollection<T> Items => [.. _cache.Values];

    /// <summary>
    /// Lists again (and counts as not synced until then): for a <c>trim</c> that now keeps what it
    /// dropped before, e.g. the data of a Secret an Ingress has just come to name.
    /// </summary>
    public void RequestRelist()
    {
        _relistRequested = true;
        _synced = false;
        _watching?.Cancel();
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var backoff = TimeSpan.FromMilliseconds(200);
        while (!cancellationToken.IsCancellationRequested)
        {
            using var watching = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            _watching = watching;
            try
            {
                _relistRequested = false;
                var (items, resourceVersion) = await list(cancellationToken);
                Replace(items);
                LogListed(kind, _cache.Count, resourceVersion);
                backoff = TimeSpan.FromMilliseconds(200);
                await WatchUntilGoneAsync(resourceVersion, watching.Token);
                LogRelist(kind);
            }
            catch (Exception) when (_relistRequested && !cancellationToken.IsCancellationRequested)
            {
                LogRelistRequested(kind);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Gone)
            {
                LogRelist(kind);
            }
            catch (HttpOperationException e) when (optional && e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                if (!_synced || !_cache.IsEmpty)
                {
                    LogNotInstalled(kind);
                    Replace([]);
                }

                await Task.Delay(NotInstalledRetry, cancellationToken);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                LogFailed(e, kind, backoff);
                await Task.Delay(backoff, cancellationToken);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }

    /// <summary>Watches again and again from the last version seen; returns when the version has expired.</summary>
    private async Task WatchUntilGoneAsync(string resourceVersion, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var gone = false;
            var events = 0;
            var started = Environment.TickCount64;
            Exception? failure = null;
            await foreach (var (type, item) in watch(resourceVersion, e =>
                           {
                               if (e is KubernetesException { Status.Code: (int)HttpStatusCode.Gone })
                               {
                                   gone = true;
                               }
                               else
                               {
                                   failure ??= e;
                               }
                           }, cancellationToken))
            {
                resourceVersion = item.Metadata?.ResourceVersion ?? resourceVersion;
                events++;
                switch (type)
                {
                    case WatchEventType.Added or WatchEventType.Modified:
                        _cache[Key(item)] = trim is null ? item : trim(item);
                        onChange();
                        break;
                    case WatchEventType.Deleted:
                        _cache.TryRemove(Key(item), out _);
                        onChange();
                        break;
                }
            }

            if (gone)
            {
                return;
            }

            if (failure is not null)
            {
                throw failure;
            }

            if (events == 0 && Environment.TickCount64 - started < 1000)
            {
                // A server that ends watches at once must not be hammered.
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
    }

    private void Replace(IEnumerable<T> items)
    {
        var fresh = items.ToDictionary(Key, StringComparer.Ordinal);
        foreach (var key in _cache.Keys.Where(k => !fresh.ContainsKey(k)))
        {
            _cache.TryRemove(key, out _);
        }

        foreach (var (key, item) in fresh)
        {
            // An object at the version cached is the one cached: keeping it lets the conversion skip it (it compares references).
            // A trimmed kind is replaced, since a relist may be what keeps data the trim dropped before.
            if (trim is null && item.Metadata?.ResourceVersion is { } version && _cache.TryGetValue(key, out var cached) && cached.Metadata?.ResourceVersion == version)
            {
                continue;
            }

            _cache[key] = trim is null ? item : trim(item);
        }

        _synced = true;
        onChange();
    }

    private static string Key(T item) => $"{item.Metadata?.NamespaceProperty}/{item.Metadata?.Name}";

    [LoggerMessage(Level = LogLevel.Debug, Message = "Listed {Kind}: {Count} objects at resourceVersion {ResourceVersion}")]
    private partial void LogListed(string kind, int count, string resourceVersion);

    [LoggerMessage(Level = LogLevel.Information, Message = "Watch of {Kind} expired (410 Gone); relisting")]
    private partial void LogRelist(string kind);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Kind} is listed again: what the cache keeps of it has changed")]
    private partial void LogRelistRequested(string kind);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind} is not served by the API server (its CRD is not installed): none are read; checking again every minute")]
    private partial void LogNotInstalled(string kind);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listing or watching {Kind} failed; relisting in {Backoff}")]
    private partial void LogFailed(Exception exception, string kind, TimeSpan backoff);
}
