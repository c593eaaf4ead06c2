using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Orleans.Proxy.IntegrationTests.Kubernetes.FakeApiServer;

/// <summary>
/// An in-process Kubernetes API server (Kestrel on 127.0.0.1) that speaks the real REST and watch wire
/// format for <see cref="ResourceKinds"/>: one global resourceVersion counter (as etcd's revision),
/// optimistic concurrency on metadata.resourceVersion, the status subresource, merge / strategic / JSON
/// patches, and watch streams that resume from a resourceVersion and expire (410) once history is compacted.
/// Objects pass through KubernetesClient's model types and KubernetesJson, so what clients read is what
/// those types produce. Not modelled: admission, validation beyond names, finalizers, strategic-merge list
/// keys (a strategic merge patch replaces lists, as a JSON merge patch does), list pagination.
/// </summary>
public sealed class FakeKubernetesApiServer : IAsyncDisposable
{
    /// <summary>Changes kept for resuming watches; older ones are compacted away, as etcd does.</summary>
    private const int MaxHistory = 10_000;

    private readonly object _lock = new();
    private readonly Dictionary<(ResourceKind Kind, string Namespace, string Name), JsonObject> _objects = [];
    private readonly List<Change> _history = [];
    private readonly List<WatchStream> _watches = [];
    private readonly ConcurrentDictionary<ApiRequestKey, int> _requests = new();
    private readonly ConcurrentDictionary<ApiRequest, int> _scopedRequests = new();
    private readonly WebApplication _app;
    private long _resourceVersion;
    private long _compactedThrough;
    private CancellationTokenSource _breakWatches = new();
    private GoneStyle? _forceGone;

    private FakeKubernetesApiServer(WebApplication app)
    {
        _app = app;
        app.Run(HandleAsync);
    }

    /// <summary>http://127.0.0.1:port, for <c>new KubernetesClientConfiguration { Host = server.Url }</c>.</summary>
    public string Url { get; private set; } = "";

    /// <summary>How often a watch that asked for bookmarks (allowWatchBookmarks) gets one while idle.</summary>
    public TimeSpan BookmarkInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>When set, a request it returns a status code for fails with that code (and a Status body) instead of being served.</summary>
    public Func<ApiRequestKey, HttpStatusCode?>? FailWith { get; set; }

    /// <summary>
    /// Runs before a request is served (after it is counted), so a test can interleave another client's
    /// write between a read and a write, deterministically.
    /// </summary>
    public Func<ApiRequestKey, Task>? BeforeServing { get; set; }

    /// <summary>The current global resourceVersion.</summary>
    public long ResourceVersion
    {
        get
        {
            lock (_lock)
            {
                return _resourceVersion;
            }
        }
    }

    /// <summary>Watch streams currently open.</summary>
    public int OpenWatches
    {
        get
        {
            lock (_lock)
            {
                return _watches.Count;
            }
        }
    }

    /// <summary>Every request served or refused so far, counted by verb, group and resource.</summary>
    public IReadOnlyDictionary<ApiRequestKey, int> RequestCounts => new Dictionary<ApiRequestKey, int>(_requests);

    /// <summary>Every request served or refused so far, counted by verb, group, resource and namespace (null: cluster-wide).</summary>
    public IReadOnlyDictionary<ApiRequest, int> ScopedRequestCounts => new Dictionary<ApiRequest, int>(_scopedRequests);

    public static async Task<FakeKubernetesApiServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var server = new FakeKubernetesApiServer(builder.Build());
        await server._app.StartAsync();
        server.Url = server._app.Urls.First();
        return server;
    }

    public k8s.Kubernetes CreateClient() => new(new KubernetesClientConfiguration { Host = Url });

    public int Count(string verb, ResourceKind kind, string? subresource = null) =>
        _requests.GetValueOrDefault(new ApiRequestKey(verb, kind.Group, subresource is null ? kind.Plural : $"{kind.Plural}/{subresource}"));

    /// <summary>Creates or replaces an object as-is (status included), bumping the resourceVersion and notifying watches.</summary>
    public T Inject<T>(T obj)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        var kind = ResourceKinds.For(typeof(T));
        var node = kind.Normalize(JsonNode.Parse(KubernetesJson.Serialize(obj))!);
        var name = (string?)node["metadata"]?["name"] ?? throw new ArgumentException("metadata.name is required", nameof(obj));
        var ns = kind.Namespaced ? (string?)node["metadata"]?["namespace"] ?? "default" : "";
        lock (_lock)
        {
            var existing = _objects.GetValueOrDefault((kind, ns, name));
            var stored = Stamp(kind, node, ns, existing);
            Commit(kind, ns, name, existing, stored);
            return KubernetesJson.Deserialize<T>(stored);
        }
    }

    /// <summary>Deletes an object if present, notifying watches.</summary>
    public bool Remove<T>(string name, string? ns = null)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        var kind = ResourceKinds.For(typeof(T));
        lock (_lock)
        {
            return DeleteLocked(kind, kind.Namespaced ? ns ?? "default" : "", name) is not null;
        }
    }

    public T? Get<T>(string name, string? ns = null)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var kind = ResourceKinds.For(typeof(T));
        lock (_lock)
        {
            return _objects.GetValueOrDefault((kind, kind.Namespaced ? ns ?? "default" : "", name)) is { } node
                ? KubernetesJson.Deserialize<T>(node)
                : null;
        }
    }

    public IReadOnlyList<T> List<T>(string? ns = null)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        var kind = ResourceKinds.For(typeof(T));
        lock (_lock)
        {
            return [.. _objects.Where(o => o.Key.Kind == kind && (ns is null || o.Key.Namespace == ns))
                .OrderBy(o => o.Key.Namespace, StringComparer.Ordinal).ThenBy(o => o.Key.Name, StringComparer.Ordinal)
                .Select(o => KubernetesJson.Deserialize<T>(o.Value))];
        }
    }

    /// <summary>Ends every open watch stream (as an API server restart or a load balancer timeout does); clients must re-watch.</summary>
    public void BreakWatches()
    {
        lock (_lock)
        {
            _breakWatches.Cancel();
            _breakWatches.Dispose();
            _breakWatches = new CancellationTokenSource();
        }
    }

    /// <summary>The next watch request is answered "too old resource version" (410 Expired), whatever version it asks for.</summary>
    public void ForceGoneOnNextWatch(GoneStyle style = GoneStyle.ErrorEvent)
    {
        lock (_lock)
        {
            _forceGone = style;
        }
    }

    /// <summary>Forgets all history (as etcd compaction does): a watch from any version before now gets 410 and must relist.</summary>
    public void Compact()
    {
        lock (_lock)
        {
            _history.Clear();
            _compactedThrough = _resourceVersion;
        }
    }

    /// <summary>Sends a BOOKMARK with the current resourceVersion to every watch that asked for bookmarks.</summary>
    public void SendBookmarks()
    {
        lock (_lock)
        {
            foreach (var watch in _watches)
            {
                watch.Bookmark(_resourceVersion);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        BreakWatches();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var route = ApiRoute.Parse(context.Request.Path.Value ?? "");
        if (route is null)
        {
            await WriteStatusAsync(context, HttpStatusCode.NotFound, "NotFound", $"the server could not find the requested resource ({context.Request.Path})", null, null);
            return;
        }

        var query = context.Request.Query;
        var watch = query["watch"] is [var w] && (w == "true" || w == "1");
        var verb = (context.Request.Method, route.Name is null) switch
        {
            ("GET", true) => watch ? "watch" : "list",
            ("GET", false) => "get",
            ("POST", true) => "create",
            ("PUT", false) => "update",
            ("PATCH", false) => "patch",
            ("DELETE", false) => "delete",
            ("DELETE", true) => "deletecollection",
            _ => null,
        };
        if (verb is null)
        {
            await WriteStatusAsync(context, HttpStatusCode.MethodNotAllowed, "MethodNotAllowed", $"{context.Request.Method} is not supported on {context.Request.Path}", route.Kind, route.Name);
            return;
        }

        var key = new ApiRequestKey(verb, route.Kind.Group, route.Subresource is null ? route.Kind.Plural : $"{route.Kind.Plural}/{route.Subresource}");
        _requests.AddOrUpdate(key, 1, (_, n) => n + 1);
        _scopedRequests.AddOrUpdate(new ApiRequest(key, route.Kind.Namespaced && !route.AllNamespaces ? route.Namespace : null), 1, (_, n) => n + 1);
        if (FailWith?.Invoke(key) is { } failure)
        {
            await WriteStatusAsync(context, failure, "InternalError", $"injected failure for {key}", route.Kind, route.Name);
            return;
        }

        if (BeforeServing is { } before)
        {
            await before(key);
        }

        try
        {
            await (verb switch
            {
                "list" => ListAsync(context, route),
                "watch" => WatchAsync(context, route),
                "get" => GetAsync(context, route),
                "create" => CreateAsync(context, route),
                "update" => UpdateAsync(context, route),
                "patch" => PatchAsync(context, route),
                "delete" => DeleteAsync(context, route),
                _ => WriteStatusAsync(context, HttpStatusCode.MethodNotAllowed, "MethodNotAllowed", $"{verb} is not supported by this server", route.Kind, null),
            });
        }
        catch (ApiException e)
        {
            await WriteStatusAsync(context, e.Code, e.Reason, e.Message, route.Kind, route.Name);
        }
        catch (Exception e) when (e is not OperationCanceledException && !context.Response.HasStarted)
        {
            // A bug in the fake shows up in the test that hit it, not as an empty 500.
            await WriteStatusAsync(context, HttpStatusCode.InternalServerError, "InternalError", e.ToString(), route.Kind, route.Name);
        }
    }

    private Task GetAsync(HttpContext context, ApiRoute route)
    {
        lock (_lock)
        {
            var stored = Find(route);
            return WriteJsonAsync(context, HttpStatusCode.OK, stored.ToJsonString());
        }
    }

    private Task ListAsync(HttpContext context, ApiRoute route)
    {
        var labels = ParseSelector(Selector.ParseLabels, context.Request.Query["labelSelector"]);
        var fields = ParseSelector(Selector.ParseFields, context.Request.Query["fieldSelector"]);
        var items = new JsonArray();
        long version;
        lock (_lock)
        {
            version = _resourceVersion;
            foreach (var (_, node) in Select(route, labels, fields))
            {
                // Items of a typed list carry no kind or apiVersion on the wire.
                var item = (JsonObject)node.DeepClone();
                item.Remove("kind");
                item.Remove("apiVersion");
                items.Add(item);
            }
        }

        var list = new JsonObject
        {
            ["kind"] = route.Kind.Kind + "List",
            ["apiVersion"] = route.Kind.ApiVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = Rv(version) },
            ["items"] = items,
        };
        return WriteJsonAsync(context, HttpStatusCode.OK, list.ToJsonString());
    }

    private async Task CreateAsync(HttpContext context, ApiRoute route)
    {
        var body = await ReadBodyAsync(context, route);
        var metadata = body["metadata"] as JsonObject ?? throw Invalid("metadata is required");
        var name = (string?)metadata["name"];
        if (string.IsNullOrEmpty(name))
        {
            var prefix = (string?)metadata["generateName"] ?? throw Invalid("metadata.name: Required value: name or generateName is required");
            name = prefix + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..5];
        }

        CheckNamespace(route, body);
        JsonObject stored;
        lock (_lock)
        {
            if (_objects.ContainsKey((route.Kind, route.Namespace, name)))
            {
                throw new ApiException(HttpStatusCode.Conflict, "AlreadyExists", $"{route.Kind.Plural}.{route.Kind.Group} \"{name}\" already exists".Replace(". ", " ", StringComparison.Ordinal));
            }

            body["metadata"]!["name"] = name;
            if (route.Kind.HasStatus)
            {
                // Status is written by controllers through the status subresource, never on create.
                body.Remove("status");
            }

            stored = Stamp(route.Kind, body, route.Namespace, existing: null);
            Commit(route.Kind, route.Namespace, name, null, stored);
        }

        await WriteJsonAsync(context, HttpStatusCode.Created, stored.ToJsonString());
    }

    private async Task UpdateAsync(HttpContext context, ApiRoute route)
    {
        var body = await ReadBodyAsync(context, route);
        if ((string?)body["metadata"]?["name"] != route.Name)
        {
            throw new ApiException(HttpStatusCode.BadRequest, "BadRequest", $"the name of the object ({body["metadata"]?["name"]}) does not match the name on the URL ({route.Name})");
        }

        CheckNamespace(route, body);
        await WriteJsonAsync(context, HttpStatusCode.OK, Write(route, body, (string?)body["metadata"]?["resourceVersion"]).ToJsonString());
    }

    private async Task PatchAsync(HttpContext context, ApiRoute route)
    {
        var contentType = context.Request.ContentType?.Split(';')[0].Trim() ?? "";
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var text = await reader.ReadToEndAsync();
        JsonNode? patch;
        try
        {
            patch = JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            throw new ApiException(HttpStatusCode.BadRequest, "BadRequest", $"the patch does not parse: {e.Message}");
        }

        JsonObject result;
        lock (_lock)
        {
            var current = (JsonObject)Find(route).DeepClone();
            JsonObject patched;
            string? precondition = null;
            switch (contentType)
            {
                case "application/merge-patch+json":
                case "application/strategic-merge-patch+json":
                    precondition = (string?)patch?["metadata"]?["resourceVersion"];
                    patched = (JsonObject)Patching.Merge(current, patch)!;
                    break;
                case "application/json-patch+json":
                    try
                    {
                        patched = (JsonObject)Patching.Apply(current, patch as JsonArray ?? throw Invalid("a JSON patch is an array of operations"));
                    }
                    catch (InvalidOperationException e)
                    {
                        throw Invalid(e.Message);
                    }

                    break;
                default:
                    throw new ApiException(HttpStatusCode.UnsupportedMediaType, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got {contentType})");
            }

            result = Write(route, Normalize(route.Kind, patched), precondition);
        }

        await WriteJsonAsync(context, HttpStatusCode.OK, result.ToJsonString());
    }

    private async Task DeleteAsync(HttpContext context, ApiRoute route)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var text = await reader.ReadToEndAsync();
        var options = string.IsNullOrWhiteSpace(text) ? null : JsonNode.Parse(text);
        JsonObject deleted;
        lock (_lock)
        {
            var current = Find(route);
            var preconditions = options?["preconditions"];
            if ((string?)preconditions?["resourceVersion"] is { } rv && rv != (string?)current["metadata"]!["resourceVersion"])
            {
                throw Conflict(route, "the ResourceVersion in the precondition does not match the ResourceVersion in record");
            }

            if ((string?)preconditions?["uid"] is { } uid && uid != (string?)current["metadata"]!["uid"])
            {
                throw Conflict(route, "the UID in the precondition does not match the UID in record");
            }

            deleted = DeleteLocked(route.Kind, route.Namespace, route.Name!)!;
        }

        await WriteJsonAsync(context, HttpStatusCode.OK, deleted.ToJsonString());
    }

    private async Task WatchAsync(HttpContext context, ApiRoute route)
    {
        var query = context.Request.Query;
        var labels = ParseSelector(Selector.ParseLabels, query["labelSelector"]);
        var fields = ParseSelector(Selector.ParseFields, query["fieldSelector"]);
        var bookmarks = query["allowWatchBookmarks"] is [var b] && (b == "true" || b == "1");
        var timeout = int.TryParse(query["timeoutSeconds"], CultureInfo.InvariantCulture, out var seconds) && seconds > 0 ? TimeSpan.FromSeconds(seconds) : (TimeSpan?)null;
        var from = (string?)query["resourceVersion"];
        var stream = new WatchStream(route, labels, fields, bookmarks);
        CancellationToken broken;
        string? gone = null;
        lock (_lock)
        {
            broken = _breakWatches.Token;
            long after = 0;
            var resume = !string.IsNullOrEmpty(from) && from != "0";
            if (resume && !long.TryParse(from, CultureInfo.InvariantCulture, out after))
            {
                throw Invalid($"resourceVersion: invalid value \"{from}\"");
            }

            if (_forceGone is { } style)
            {
                _forceGone = null;
                gone = style.ToString();
            }
            else if (resume && after < _compactedThrough)
            {
                gone = nameof(GoneStyle.ErrorEvent);
            }
            else if (resume)
            {
                foreach (var change in _history.Where(c => c.ResourceVersion > after))
                {
                    stream.Offer(change);
                }

                _watches.Add(stream);
            }
            else
            {
                // No version: the current state as ADDED events, then every change after it.
                foreach (var (_, node) in Select(route, labels, fields))
                {
                    stream.Send("ADDED", node);
                }

                _watches.Add(stream);
            }
        }

        if (gone is not null)
        {
            var message = $"too old resource version: {from} ({_compactedThrough + 1})";
            if (gone == nameof(GoneStyle.HttpStatus))
            {
                throw new ApiException(HttpStatusCode.Gone, "Expired", message);
            }

            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/json";
            var status = JsonNode.Parse(StatusJson(HttpStatusCode.Gone, "Expired", message, null, null))!;
            await context.Response.WriteAsync(new JsonObject { ["type"] = "ERROR", ["object"] = status }.ToJsonString() + "\n");
            return;
        }

        try
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, broken);
            if (timeout is { } t)
            {
                stop.CancelAfter(t);
            }

            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/json";
            await context.Response.StartAsync(stop.Token);
            await context.Response.Body.FlushAsync(stop.Token);
            var reader = stream.Lines.Reader;
            while (!stop.IsCancellationRequested)
            {
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
                if (bookmarks)
                {
                    idle.CancelAfter(BookmarkInterval);
                }

                try
                {
                    await reader.WaitToReadAsync(idle.Token);
                }
                catch (OperationCanceledException) when (!stop.IsCancellationRequested)
                {
                    lock (_lock)
                    {
                        if (reader.Count == 0)
                        {
                            stream.Bookmark(_resourceVersion);
                        }
                    }

                    continue;
                }

                while (reader.TryRead(out var line))
                {
                    await context.Response.WriteAsync(line, stop.Token);
                }

                await context.Response.Body.FlushAsync(stop.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // The client left, the watch timed out, or BreakWatches ended it: the stream just ends.
        }
        finally
        {
            lock (_lock)
            {
                _watches.Remove(stream);
            }
        }
    }

    /// <summary>Update and patch: optimistic concurrency, the status subresource split, no-op detection.</summary>
    private JsonObject Write(ApiRoute route, JsonObject body, string? expectedVersion)
    {
        lock (_lock)
        {
            var existing = Find(route);
            if (!string.IsNullOrEmpty(expectedVersion) && expectedVersion != (string?)existing["metadata"]!["resourceVersion"])
            {
                throw Conflict(route, "the object has been modified; please apply your changes to the latest version and try again");
            }

            JsonObject next;
            if (route.Subresource == "status")
            {
                next = (JsonObject)existing.DeepClone();
                next["status"] = body["status"]?.DeepClone();
            }
            else
            {
                next = body;
                if (route.Kind.HasStatus)
                {
                    // The main resource ignores status changes; they go through /status.
                    next["status"] = existing["status"]?.DeepClone();
                }
            }

            next = Normalize(route.Kind, next);
            foreach (var field in (string[])["resourceVersion", "uid", "creationTimestamp", "generation"])
            {
                var metadata = (JsonObject)next["metadata"]!;
                metadata.Remove(field);
                if (existing["metadata"]![field] is { } value)
                {
                    metadata[field] = value.DeepClone();
                }
            }

            if (JsonNode.DeepEquals(next, existing))
            {
                // An update that changes nothing writes nothing: no new version, no watch event.
                return existing;
            }

            if (!JsonNode.DeepEquals(next["spec"], existing["spec"]) && (long?)existing["metadata"]!["generation"] is { } generation)
            {
                next["metadata"]!["generation"] = generation + 1;
            }

            var stored = Stamp(route.Kind, next, route.Namespace, existing);
            Commit(route.Kind, route.Namespace, route.Name!, existing, stored);
            return stored;
        }
    }

    /// <summary>Server-owned fields: kind, apiVersion, namespace, uid, creationTimestamp, generation, and a new resourceVersion.</summary>
    private JsonObject Stamp(ResourceKind kind, JsonObject node, string ns, JsonObject? existing)
    {
        node = Normalize(kind, node);
        var metadata = (JsonObject)node["metadata"]!;
        if (kind.Namespaced)
        {
            metadata["namespace"] = ns;
        }

        metadata["uid"] = existing?["metadata"]?["uid"]?.DeepClone() ?? Guid.NewGuid().ToString();
        metadata["creationTimestamp"] = existing?["metadata"]?["creationTimestamp"]?.DeepClone()
            ?? DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        if (node["spec"] is not null)
        {
            metadata["generation"] ??= 1L;
        }

        metadata["resourceVersion"] = Rv(++_resourceVersion);
        return node;
    }

    private static JsonObject Normalize(ResourceKind kind, JsonObject node)
    {
        var normalized = kind.Normalize(node);
        normalized["kind"] = kind.Kind;
        normalized["apiVersion"] = kind.ApiVersion;
        normalized["metadata"] ??= new JsonObject();
        return normalized;
    }

    private void Commit(ResourceKind kind, string ns, string name, JsonObject? existing, JsonObject stored)
    {
        _objects[(kind, ns, name)] = stored;
        Record(new Change(_resourceVersion, existing is null ? "ADDED" : "MODIFIED", kind, ns, existing, stored));
    }

    private JsonObject? DeleteLocked(ResourceKind kind, string ns, string name)
    {
        if (!_objects.Remove((kind, ns, name), out var existing))
        {
            return null;
        }

        // The DELETED event carries the object at the revision of its deletion, as etcd reports it.
        var deleted = (JsonObject)existing.DeepClone();
        deleted["metadata"]!["resourceVersion"] = Rv(++_resourceVersion);
        Record(new Change(_resourceVersion, "DELETED", kind, ns, existing, deleted));
        return deleted;
    }

    private void Record(Change change)
    {
        _history.Add(change);
        if (_history.Count > MaxHistory)
        {
            _compactedThrough = _history[0].ResourceVersion;
            _history.RemoveAt(0);
        }

        foreach (var watch in _watches)
        {
            watch.Offer(change);
        }
    }

    private JsonObject Find(ApiRoute route) =>
        _objects.GetValueOrDefault((route.Kind, route.Namespace, route.Name!))
        ?? throw new ApiException(HttpStatusCode.NotFound, "NotFound", $"{route.Kind.Plural}{(route.Kind.Group.Length > 0 ? "." + route.Kind.Group : "")} \"{route.Name}\" not found");

    private IEnumerable<(string Name, JsonObject Node)> Select(ApiRoute route, Selector labels, Selector fields) =>
        _objects.Where(o => o.Key.Kind == route.Kind && (route.AllNamespaces || o.Key.Namespace == route.Namespace))
            .Where(o => labels.Matches(o.Value) && fields.Matches(o.Value))
            .OrderBy(o => o.Key.Namespace, StringComparer.Ordinal).ThenBy(o => o.Key.Name, StringComparer.Ordinal)
            .Select(o => (o.Key.Name, o.Value));

    private static async Task<JsonObject> ReadBodyAsync(HttpContext context, ApiRoute route)
    {
        JsonObject body;
        try
        {
            body = await JsonNode.ParseAsync(context.Request.Body) as JsonObject ?? throw Invalid("the body is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new ApiException(HttpStatusCode.BadRequest, "BadRequest", $"the body does not parse: {e.Message}");
        }

        if ((string?)body["kind"] is { } kind && kind != route.Kind.Kind)
        {
            throw new ApiException(HttpStatusCode.BadRequest, "BadRequest", $"the body is a {kind}, the URL a {route.Kind.Kind}");
        }

        try
        {
            return Normalize(route.Kind, body);
        }
        catch (JsonException e)
        {
            throw new ApiException(HttpStatusCode.BadRequest, "BadRequest", $"the body is not a valid {route.Kind.Kind}: {e.Message}");
        }
    }

    private static void CheckNamespace(ApiRoute route, JsonObject body)
    {
        if (route.Kind.Namespaced && (string?)body["metadata"]?["namespace"] is { Length: > 0 } ns && ns != route.Namespace)
        {
            throw new ApiException(HttpStatusCode.BadRequest, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request");
        }
    }

    private static Selector ParseSelector(Func<string?, Selector> parse, string? text)
    {
        try
        {
            return parse(text);
        }
        catch (FormatException e)
        {
            throw new ApiException(HttpStatusCode.BadRequest, "BadRequest", e.Message);
        }
    }

    private static ApiException Invalid(string message) => new(HttpStatusCode.UnprocessableEntity, "Invalid", message);

    private static ApiException Conflict(ApiRoute route, string message) =>
        new(HttpStatusCode.Conflict, "Conflict", $"Operation cannot be fulfilled on {route.Kind.Plural}{(route.Kind.Group.Length > 0 ? "." + route.Kind.Group : "")} \"{route.Name}\": {message}");

    private static string Rv(long version) => version.ToString(CultureInfo.InvariantCulture);

    private static Task WriteJsonAsync(HttpContext context, HttpStatusCode code, string json)
    {
        context.Response.StatusCode = (int)code;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(json);
    }

    private static Task WriteStatusAsync(HttpContext context, HttpStatusCode code, string reason, string message, ResourceKind? kind, string? name) =>
        WriteJsonAsync(context, code, StatusJson(code, reason, message, kind, name));

    /// <summary>
    /// A metav1.Status. Written by hand: KubernetesJson's V1Status converter only reads (it serves the
    /// "object or Status" responses), and the wire shape is small and fixed.
    /// </summary>
    private static string StatusJson(HttpStatusCode code, string reason, string message, ResourceKind? kind, string? name) =>
        new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = message,
            ["reason"] = reason,
            ["details"] = kind is null ? null : new JsonObject { ["name"] = name, ["group"] = kind.Group, ["kind"] = kind.Plural },
            ["code"] = (int)code,
        }.ToJsonString();

    private sealed record Change(long ResourceVersion, string Type, ResourceKind Kind, string Namespace, JsonObject? Old, JsonObject Object);

    private sealed class ApiException(HttpStatusCode code, string reason, string message) : Exception(message)
    {
        public HttpStatusCode Code { get; } = code;

        public string Reason { get; } = reason;
    }

    /// <summary>/api/v1[/namespaces/{ns}]/{plural}[/{name}[/{sub}]] and /apis/{group}/{version}/...</summary>
    private sealed record ApiRoute(ResourceKind Kind, string Namespace, bool AllNamespaces, string? Name, string? Subresource)
    {
        public static ApiRoute? Parse(string path)
        {
            var segments = path.Trim('/').Split('/');
            string group, version;
            string[] rest;
            if (segments is ["api", var v, ..])
            {
                (group, version, rest) = ("", v, segments[2..]);
            }
            else if (segments is ["apis", var g, var v2, ..])
            {
                (group, version, rest) = (g, v2, segments[3..]);
            }
            else
            {
                return null;
            }

            string? ns = null;
            if (rest.Length >= 3 && rest[0] == "namespaces")
            {
                ns = rest[1];
                rest = rest[2..];
            }

            if (rest.Length is 0 or > 3 || ResourceKinds.Find(group, version, rest[0]) is not { } kind)
            {
                return null;
            }

            var name = rest.Length > 1 ? rest[1] : null;
            var sub = rest.Length > 2 ? rest[2] : null;
            if ((sub is not null && (sub != "status" || !kind.HasStatus)) || (ns is not null && !kind.Namespaced)
                || (kind.Namespaced && ns is null && name is not null))
            {
                return null;
            }

            return new ApiRoute(kind, ns ?? "", kind.Namespaced && ns is null, name, sub);
        }
    }

    /// <summary>One open watch: filters changes and queues their event lines in order.</summary>
    private sealed class WatchStream(ApiRoute route, Selector labels, Selector fields, bool bookmarks)
    {
        public Channel<string> Lines { get; } = Channel.CreateUnbounded<string>();

        public void Offer(Change change)
        {
            if (change.Kind != route.Kind || (!route.AllNamespaces && change.Namespace != route.Namespace))
            {
                return;
            }

            var now = Matches(change.Object);
            var before = change.Old is not null && Matches(change.Old);
            var type = change.Type switch
            {
                "ADDED" => now ? "ADDED" : null,
                "DELETED" => now ? "DELETED" : null,
                _ => (before, now) switch
                {
                    (true, true) => "MODIFIED",
                    (false, true) => "ADDED",
                    (true, false) => "DELETED",
                    _ => null,
                },
            };
            if (type is not null)
            {
                Send(type, change.Object);
            }
        }

        public void Send(string type, JsonObject obj) =>
            Lines.Writer.TryWrite(new JsonObject { ["type"] = type, ["object"] = obj.DeepClone() }.ToJsonString() + "\n");

        public void Bookmark(long resourceVersion)
        {
            if (bookmarks)
            {
                Send("BOOKMARK", new JsonObject
                {
                    ["kind"] = route.Kind.Kind,
                    ["apiVersion"] = route.Kind.ApiVersion,
                    ["metadata"] = new JsonObject { ["resourceVersion"] = Rv(resourceVersion) },
                });
            }
        }

        private bool Matches(JsonObject obj) => labels.Matches(obj) && fields.Matches(obj);
    }
}
