using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Orleans.Proxy.Edge.Diagnostics;

/// <summary>
/// "diag ...": the diagnostics API as tables, for people who would rather not read JSON. Talks to
/// any diagnostics port (an edge's, or a silo's for the cluster view).
/// </summary>
internal static class DiagnosticsCommand
{
    public const string TokenVariable = "ORLEANS_PROXY_DIAG_TOKEN";

    private const string Usage = """
        usage: diag <command> [--url http://127.0.0.1:9090] [--token T]
          hosts                      every host and its routes, as the grains hold them
          host NAME                  the routes of one host
          backends [ID]              every backend, or one backend's destinations (ID: namespace/service:port)
          edge                       this edge: served generation, cluster connection, degraded mode
          edges                      connected edges, the generation each serves and how far behind it is
          silos                      silos and their status
          explain HOST PATH [--header Name:Value]... [--method M] [--https]
                                     which route (Ingress or HTTPRoute rule), cluster and destination a request would get, and why
          rejections                 objects refused, with the field to fix
          view NAME [key=value]...   a feature's view (list them with: view)
          cache [--entries N]        this edge's cache: entries, sizes, hit ratios (memory and shared tiers)
          purge url URL | purge prefix HOST PATH | purge tag TAG | purge all
                                     drop cached responses on every edge and in the shared tier
        The token comes from --token or the environment variable ORLEANS_PROXY_DIAG_TOKEN.
        """;

    public static bool IsCommand(string[] args) => args is ["diag", ..];

    /// <returns>0 on success, 1 when the API answered an error or could not be reached, 2 on a usage error.</returns>
    public static async Task<int> RunAsync(string[] args, TextWriter output)
    {
        var url = "http://127.0.0.1:9090";
        var token = Environment.GetEnvironmentVariable(TokenVariable);
        var words = new List<string>();
        var headers = new List<string>();
        var explainOptions = string.Empty;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--url" when i + 1 < args.Length:
                    url = args[++i];
                    break;
                case "--token" when i + 1 < args.Length:
                    token = args[++i];
                    break;
                case "--header" when i + 1 < args.Length:
                    headers.Add(args[++i]);
                    break;
                case "--method" when i + 1 < args.Length:
                    explainOptions += $"&method={Uri.EscapeDataString(args[++i])}";
                    break;
                case "--https":
                    explainOptions += "&https=true";
                    break;
                default:
                    words.Add(args[i]);
                    break;
            }
        }

        var request = words switch
        {
            ["hosts"] => ("/diag/cluster/hosts", (Action<TextWriter, JsonElement>)PrintHosts),
            ["host", var name] => ($"/diag/cluster/hosts/{Uri.EscapeDataString(name)}", PrintHost),
            ["backends"] => ("/diag/cluster/backends", PrintBackends),
            ["backends", var id] => ($"/diag/cluster/backends/{id}", PrintBackend),
            ["edge"] => ("/diag/edge", PrintEdge),
            ["edges"] => ("/diag/cluster/edges", PrintEdges),
            ["silos"] => ("/diag/cluster/silos", PrintSilos),
            ["explain", var host, var path] => ($"/diag/explain?host={Uri.EscapeDataString(host)}&path={Uri.EscapeDataString(path)}"
                + string.Concat(headers.Select(h => $"&header={Uri.EscapeDataString(h)}")) + explainOptions, PrintExplain),
            ["rejections"] => ("/diag/cluster/rejections", PrintRejections),
            ["view"] => ("/diag/cluster/views", (o, json) => TextTable.Write(o, ["VIEW"], json.EnumerateArray().Select(v => (IReadOnlyList<string>)[TextTable.Format(v)]))),
            ["cache"] => ("/diag/cache?shared=true", Caching.CacheCommands.PrintCache),
            ["cache", "--entries", var n] => ($"/diag/cache?shared=true&entries={Uri.EscapeDataString(n)}", Caching.CacheCommands.PrintCache),
            ["purge", .. var what] when Caching.CacheCommands.PurgeQuery(what) is { } purge => ($"POST /diag/cluster/cache/purge?{purge}", Caching.CacheCommands.PrintPurge),
            ["view", var name, .. var query] => ($"/diag/cluster/views/{Uri.EscapeDataString(name)}?{string.Join('&', query.Select(EscapeQueryPair))}", TextTable.WriteObjects),
            _ => default,
        };
        if (request.Item1 is null)
        {
            await output.WriteLineAsync(Usage);
            return 2;
        }

        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(15) };
        if (!string.IsNullOrEmpty(token))
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        try
        {
            using var response = request.Item1.StartsWith("POST ", StringComparison.Ordinal)
                ? await http.PostAsync(request.Item1["POST ".Length..], content: null)
                : await http.GetAsync(request.Item1);
            var body = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode)
            {
                await output.WriteLineAsync($"error: {(int)response.StatusCode} {response.StatusCode}: {ErrorOf(body, response.StatusCode)}");
                return 1;
            }

            using var json = JsonDocument.Parse(body);
            request.Item2(output, json.RootElement);
            return 0;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            await output.WriteLineAsync($"error: {url}: {e.Message}");
            return 1;
        }
    }

    private static string EscapeQueryPair(string pair)
    {
        var eq = pair.IndexOf('=', StringComparison.Ordinal);
        return eq < 0 ? Uri.EscapeDataString(pair) : $"{Uri.EscapeDataString(pair[..eq])}={Uri.EscapeDataString(pair[(eq + 1)..])}";
    }

    private static string ErrorOf(string body, HttpStatusCode status)
    {
        if (status == HttpStatusCode.Unauthorized)
        {
            return $"pass --token or set {TokenVariable}";
        }

        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("error", out var error) ? TextTable.Format(error) : body;
        }
        catch (JsonException)
        {
            return body;
        }
    }

    private static string S(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? TextTable.Format(v) : "-";

    private static void PrintHosts(TextWriter o, JsonElement json)
    {
        o.WriteLine($"catalog generation {S(json, "generation")}");
        TextTable.Write(o, ["HOST", "PATH", "MATCH", "CLUSTER", "ROUTE", "SOURCE"],
            json.GetProperty("hosts").EnumerateArray().SelectMany(h => h.GetProperty("routes").EnumerateArray().Select(r =>
                (IReadOnlyList<string>)[S(h, "host"), S(r, "path"), Match(r), S(r, "clusterId"), S(r, "routeId"), S(r, "source")])));
    }

    private static void PrintHost(TextWriter o, JsonElement json)
    {
        o.WriteLine($"host {S(json, "host")} version {S(json, "version")}");
        TextTable.Write(o, ["PATH", "MATCH", "CLUSTER", "ROUTE", "SOURCE"],
            json.GetProperty("routes").EnumerateArray().Select(r => (IReadOnlyList<string>)[S(r, "path"), Match(r), S(r, "clusterId"), S(r, "routeId"), S(r, "source")]));
    }

    /// <summary>Path match kind plus any header and query conditions.</summary>
    private static string Match(JsonElement route)
    {
        var conditions = new List<string> { S(route, "pathMatch") };
        conditions.AddRange(route.GetProperty("headers").EnumerateArray().Select(h => $"header {S(h, "name")}={S(h, "value")}"));
        conditions.AddRange(route.GetProperty("query").EnumerateArray().Select(q => $"query {S(q, "name")}={S(q, "value")}"));
        return string.Join(", ", conditions);
    }

    private static void PrintBackends(TextWriter o, JsonElement json)
    {
        o.WriteLine($"catalog generation {S(json, "generation")}");
        TextTable.Write(o, ["CLUSTER", "VERSION", "DESTINATIONS"], json.GetProperty("backends").EnumerateArray().Select(b => (IReadOnlyList<string>)
            [S(b, "clusterId"), S(b, "version"), string.Join(", ", b.GetProperty("destinations").EnumerateArray().Select(d => S(d, "id")))]));
    }

    private static void PrintBackend(TextWriter o, JsonElement json)
    {
        o.WriteLine($"backend {S(json, "clusterId")} version {S(json, "version")}");
        TextTable.Write(o, ["DESTINATION", "ADDRESS"], json.GetProperty("destinations").EnumerateArray().Select(d => (IReadOnlyList<string>)[S(d, "id"), S(d, "address")]));
        PrintSections(o, json);
    }

    private static void PrintEdge(TextWriter o, JsonElement json)
    {
        var rows = new List<IReadOnlyList<string>>();
        foreach (var property in json.EnumerateObject().Where(p => p.Name != "sections"))
        {
            if (property.Value.ValueKind == JsonValueKind.Object)
            {
                rows.AddRange(property.Value.EnumerateObject().Select(p => (IReadOnlyList<string>)[$"{property.Name}.{p.Name}", TextTable.Format(p.Value)]));
            }
            else
            {
                rows.Add([property.Name, TextTable.Format(property.Value)]);
            }
        }

        TextTable.Write(o, ["FIELD", "VALUE"], rows);
        PrintSections(o, json);
    }

    private static void PrintEdges(TextWriter o, JsonElement json)
    {
        o.WriteLine($"catalog generation {S(json, "generation")}");
        TextTable.Write(o, ["EDGE", "APPLIED", "UP TO DATE", "BEHIND", "LAG (s)", "LAST SEEN"], json.GetProperty("edges").EnumerateArray().Select(e => (IReadOnlyList<string>)
            [S(e, "edgeId"), S(e, "appliedGeneration"), S(e, "upToDate"), S(e, "generationsBehind"), S(e, "lagSeconds"), S(e, "lastSeen")]));
    }

    private static void PrintSilos(TextWriter o, JsonElement json) =>
        TextTable.Write(o, ["SILO", "ADDRESS", "HOST", "STATUS", "STARTED", "LAST ALIVE"], json.EnumerateArray().Select(s => (IReadOnlyList<string>)
            [S(s, "name"), S(s, "address"), S(s, "hostName"), S(s, "status"), S(s, "startTime"), S(s, "lastAlive")]));

    private static void PrintRejections(TextWriter o, JsonElement json) =>
        TextTable.Write(o, ["OBJECT", "FIELD", "REASON"], json.EnumerateArray().Select(r => (IReadOnlyList<string>)[S(r, "object"), S(r, "field"), S(r, "reason")]));

    private static void PrintExplain(TextWriter o, JsonElement json)
    {
        var matched = json.GetProperty("matched").GetBoolean();
        List<IReadOnlyList<string>> rows = [["request", $"{S(json, "host")} {S(json, "path")}"], ["matched", S(json, "matched")]];
        if (matched)
        {
            var route = json.GetProperty("route");
            rows.Add(["route", S(route, "routeId")]);
            rows.Add(["rule", S(route, "rule")]);
            rows.Add(["match", $"{S(route, "routeHost")} {S(route, "routePath")} ({S(route, "pathMatch")})"]);
            if (route.TryGetProperty("filters", out var filters) && filters.ValueKind == JsonValueKind.Array)
            {
                rows.AddRange(filters.EnumerateArray().Select(f => (IReadOnlyList<string>)["filter", TextTable.Format(f)]));
            }

            rows.Add(["cluster", S(json, "cluster")]);
            rows.Add(["load balancing", S(json, "loadBalancing")]);
            rows.Add(["destination", $"{S(json, "destination")} ({S(json, "address")})"]);
        }

        rows.Add(["generation", S(json, "generation")]);
        TextTable.Write(o, ["FIELD", "VALUE"], rows);
        o.WriteLine();
        o.WriteLine("why:");
        foreach (var reason in json.GetProperty("why") is { ValueKind: JsonValueKind.Array } why ? why.EnumerateArray().Select(TextTable.Format) : [S(json, "why")])
        {
            o.WriteLine($"  {reason}");
        }

        if (matched)
        {
            o.WriteLine();
            TextTable.Write(o, ["DESTINATION", "ADDRESS", "AVAILABLE", "ACTIVE HEALTH", "PASSIVE HEALTH"], json.GetProperty("destinations").EnumerateArray().Select(d => (IReadOnlyList<string>)
                [S(d, "id"), S(d, "address"), S(d, "available"), S(d, "activeHealth"), S(d, "passiveHealth")]));
        }

        o.WriteLine();
        o.WriteLine("candidate routes, in the order they are tried:");
        foreach (var candidate in json.GetProperty("candidates").EnumerateArray())
        {
            o.WriteLine($"  {TextTable.Format(candidate)}");
        }

        if (json.GetProperty("candidates").GetArrayLength() == 0)
        {
            o.WriteLine("  (none)");
        }

        PrintSections(o, json);
    }

    private static void PrintSections(TextWriter o, JsonElement json)
    {
        if (!json.TryGetProperty("sections", out var sections))
        {
            return;
        }

        foreach (var section in sections.EnumerateObject())
        {
            o.WriteLine();
            o.WriteLine($"{section.Name}:");
            TextTable.WriteObjects(o, section.Value);
        }
    }
}
