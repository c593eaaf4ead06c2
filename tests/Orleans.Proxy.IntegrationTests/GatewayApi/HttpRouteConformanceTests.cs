using System.Net;
using Orleans.Proxy.IntegrationTests.Infrastructure;
using Orleans.Proxy.IntegrationTests.Tls;

namespace Orleans.Proxy.IntegrationTests.GatewayApi;

/// <summary>
/// The behaviours the Gateway API conformance suite checks for HTTPRoute (core and the extended features
/// we support), with our own fixtures, through a real edge in file mode with real backends. Each test
/// names the behaviour; its summary names the upstream case it follows. docs/gateway-api.md has the table.
/// </summary>
public sealed class HttpRouteConformanceTests(GatewayApiFixture fixture) : IClassFixture<GatewayApiFixture>
{
    private TestEdge Edge => fixture.Edge;

    private static string Route(string name, string hostnames, string rules, string parents = "[{name: same-namespace}]", string ns = "test", string annotations = "{}", string created = "2026-01-01T00:00:00Z") => $"""
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {"{"}name: {name}, namespace: {ns}, creationTimestamp: "{created}", annotations: {annotations}{"}"}
        spec:
          parentRefs: {parents}
          hostnames: {hostnames}
          rules:
        {rules}
        ---

        """;

    private async Task<string> Get(string host, string path, params (string, string)[] headers) => await Edge.GetBodyAsync(host, path, headers);

    /// <summary>"status backend" of a "status backend host path" answer; "status" alone when no backend answered.</summary>
    private static string Backend(string body) => (body.Split(' ') is [var status, var name, ..] ? $"{status} {name}" : body).Trim();

    /// <summary>HTTPRouteSimpleSameNamespace.</summary>
    [Fact]
    public async Task HttpRoute_SameNamespaceRoute_Served() =>
        await fixture.AddAsync("simple.yaml", Route("simple", "[simple.gateway.test]", "  - backendRefs: [{name: v1, port: 80}]"), "simple.gateway.test", "/", "200 v1 ");

    /// <summary>HTTPRouteExactPathMatching.</summary>
    [Fact]
    public async Task HttpRoute_ExactPath_MatchesTheWholePathCaseSensitively()
    {
        await fixture.AddAsync("exact.yaml", Route("exact", "[exact.gateway.test]", """
              - matches: [{path: {type: Exact, value: /one}}]
                backendRefs: [{name: v1, port: 80}]
              - matches: [{path: {type: Exact, value: /two}}]
                backendRefs: [{name: v2, port: 80}]
            """), "exact.gateway.test", "/one", "200 v1 ");

        Assert.Equal("200 v2", Backend(await Get("exact.gateway.test", "/two")));
        foreach (var path in new[] { "/", "/one/example", "/two/", "/Two" })
        {
            Assert.Equal("404", Backend(await Get("exact.gateway.test", path)));
        }
    }

    /// <summary>HTTPRouteMatching: the matches of a rule are ORed; a longer prefix wins.</summary>
    [Fact]
    public async Task HttpRoute_MatchesOfARule_AnyOneSelectsIt()
    {
        await fixture.AddAsync("matching.yaml", Route("matching", "[matching.gateway.test]", """
              - matches: [{path: {type: PathPrefix, value: /}}, {headers: [{name: version, value: one}]}]
                backendRefs: [{name: v1, port: 80}]
              - matches: [{path: {type: PathPrefix, value: /v2}}, {headers: [{name: version, value: two}]}]
                backendRefs: [{name: v2, port: 80}]
            """), "matching.gateway.test", "/v2", "200 v2 ");

        foreach (var (path, header, expected) in new[]
                 {
                     ("/", "", "v1"), ("/example", "", "v1"), ("/", "one", "v1"), ("/v2example", "", "v1"), ("/foo/v2/example", "", "v1"),
                     ("/v2", "", "v2"), ("/v2/example", "", "v2"), ("/v2/", "", "v2"), ("/", "two", "v2"),
                 })
        {
            var headers = header.Length == 0 ? [] : new[] { ("Version", header) };
            Assert.Equal($"200 {expected}", Backend(await Get("matching.gateway.test", path, headers)));
        }
    }

    /// <summary>HTTPRouteMatchingAcrossRoutes: precedence holds between the rules of different routes on one host.</summary>
    [Fact]
    public async Task HttpRoute_MatchesOfSeveralRoutes_OnePrecedenceAcrossThem()
    {
        await fixture.AddAsync("across.yaml",
            Route("across-1", "[across.gateway.test, across2.gateway.test]", """
                  - matches: [{path: {type: PathPrefix, value: /}}, {headers: [{name: version, value: one}]}]
                    backendRefs: [{name: v1, port: 80}]
                """)
            + Route("across-2", "[across.gateway.test]", """
                  - matches: [{path: {type: PathPrefix, value: /v2}}, {headers: [{name: version, value: two}]}]
                    backendRefs: [{name: v2, port: 80}]
                """), "across.gateway.test", "/v2", "200 v2 ");

        Assert.Equal("200 v1", Backend(await Get("across.gateway.test", "/")));
        Assert.Equal("200 v1", Backend(await Get("across.gateway.test", "/example")));
        Assert.Equal("200 v1", Backend(await Get("across2.gateway.test", "/example")));
        Assert.Equal("200 v1", Backend(await Get("across.gateway.test", "/example", ("Version", "one"))));
        Assert.Equal("200 v1", Backend(await Get("across2.gateway.test", "/v2")));
        Assert.Equal("200 v2", Backend(await Get("across.gateway.test", "/v2/example")));
        Assert.Equal("200 v2", Backend(await Get("across.gateway.test", "/", ("Version", "two"))));
    }

    /// <summary>HTTPRoutePathMatchOrder: Exact before any prefix, then the longest prefix.</summary>
    [Fact]
    public async Task HttpRoute_PathPrecedence_ExactThenLongestPrefix()
    {
        await fixture.AddAsync("order.yaml", Route("order", "[order.gateway.test]", """
              - matches: [{path: {type: Exact, value: /match}}]
                backendRefs: [{name: v1, port: 80}]
              - matches: [{path: {type: Exact, value: /match/exact}}]
                backendRefs: [{name: v2, port: 80}]
              - matches: [{path: {type: Exact, value: /match/exact/one}}]
                backendRefs: [{name: v3, port: 80}]
              - matches: [{path: {type: PathPrefix, value: /match/}}]
                backendRefs: [{name: v3, port: 80}]
              - matches: [{path: {type: PathPrefix, value: /match/prefix/}}]
                backendRefs: [{name: v1, port: 80}]
              - matches: [{path: {type: PathPrefix, value: /match/prefix/one}}]
                backendRefs: [{name: v2, port: 80}]
            """), "order.gateway.test", "/match/exact/one", "200 v3 ");

        foreach (var (path, expected) in new[] { ("/match/exact", "v2"), ("/match", "v1"), ("/match/prefix/one/any", "v2"), ("/match/prefix/any", "v1"), ("/match/any", "v3") })
        {
            Assert.Equal($"200 {expected}", Backend(await Get("order.gateway.test", path)));
        }
    }

    /// <summary>HTTPRouteHeaderMatching: names case-insensitive, values exact, more header matches first, then rule order.</summary>
    [Fact]
    public async Task HttpRoute_HeaderMatches_MoreMatchesWinThenRuleOrder()
    {
        await fixture.AddAsync("headers.yaml", Route("headers", "[headers.gateway.test]", """
              - matches: [{headers: [{name: version, value: one}]}]
                backendRefs: [{name: v1, port: 80}]
              - matches: [{headers: [{name: version, value: two}]}]
                backendRefs: [{name: v2, port: 80}]
              - matches: [{headers: [{name: version, value: two}, {name: color, value: orange}]}]
                backendRefs: [{name: v1, port: 80}]
              - matches: [{headers: [{name: color, value: blue}]}, {headers: [{name: color, value: green}]}]
                backendRefs: [{name: v1, port: 80}]
              - matches: [{headers: [{name: color, value: red}]}, {headers: [{name: color, value: yellow}]}]
                backendRefs: [{name: v2, port: 80}]
              - matches: [{headers: [{type: RegularExpression, name: color, value: "p[a-z]+e"}]}]
                backendRefs: [{name: v3, port: 80}]
            """), "headers.gateway.test", "/", "200 v3 ", ("Color", "purple"));

        foreach (var (headers, expected) in new (string, string)[]
                 {
                     ("Version:one", "200 v1"), ("Version:two", "200 v2"), ("Version:two,Color:orange", "200 v1"), ("Version:two,Color:blue", "200 v2"),
                     ("Color:orange", "404"), ("Some-Other-Header:one", "404"), ("Color:blue", "200 v1"), ("Color:green", "200 v1"),
                     ("Color:red", "200 v2"), ("Color:yellow", "200 v2"), ("Color:purple", "200 v3"), ("Color:Purple", "404"), ("Version:ONE", "404"),
                 })
        {
            var sent = headers.Split(',').Select(h => (h.Split(':')[0], h.Split(':')[1])).ToArray();
            Assert.True(expected == Backend(await Get("headers.gateway.test", "/", sent)), $"{headers}: expected {expected}");
        }
    }

    /// <summary>HTTPRouteQueryParamMatching: names and values case-sensitive; path beats query, header beats query.</summary>
    [Fact]
    public async Task HttpRoute_QueryParamMatches_CaseSensitiveAndRankedAfterPathAndHeaders()
    {
        await fixture.AddAsync("query.yaml", Route("query", "[query.gateway.test]", """
              - matches: [{queryParams: [{name: animal, value: whale}]}]
                backendRefs: [{name: v1, port: 80}]
              - matches: [{queryParams: [{name: animal, value: dolphin}]}]
                backendRefs: [{name: v2, port: 80}]
              - matches: [{queryParams: [{name: animal, value: dolphin}, {name: color, value: blue}]}, {queryParams: [{name: ANIMAL, value: Whale}]}]
                backendRefs: [{name: v3, port: 80}]
              - matches: [{path: {type: PathPrefix, value: /path5}, queryParams: [{name: animal, value: hydra}]}]
                backendRefs: [{name: v1, port: 80}]
              - matches: [{headers: [{name: version, value: four}], queryParams: [{name: animal, value: hydra}]}]
                backendRefs: [{name: v3, port: 80}]
            """), "query.gateway.test", "/?animal=whale", "200 v1 ");

        foreach (var (target, header, expected) in new[]
                 {
                     ("/?animal=dolphin", "", "200 v2"), ("/?animal=dolphin&color=blue", "", "200 v3"), ("/?ANIMAL=Whale", "", "200 v3"),
                     ("/?animal=whale&otherparam=irrelevant", "", "200 v1"), ("/?animal=dolphin&color=yellow", "", "200 v2"),
                     ("/?color=blue", "", "404"), ("/?animal=dog", "", "404"), ("/?animal=whaledolphin", "", "404"), ("/", "", "404"),
                     ("/path5?animal=hydra", "four", "200 v1"), ("/?animal=hydra", "four", "200 v3"),
                 })
        {
            var headers = header.Length == 0 ? [] : new[] { ("version", header) };
            Assert.True(expected == Backend(await Get("query.gateway.test", target, headers)), $"{target} {header}: expected {expected}");
        }
    }

    /// <summary>HTTPRouteMethodMatching: method ranks after the path and before headers.</summary>
    [Fact]
    public async Task HttpRoute_MethodMatches_RankedAfterPathBeforeHeaders()
    {
        await fixture.AddAsync("method.yaml", Route("method", "[method.gateway.test]", """
              - matches: [{method: POST}, {path: {value: /path5}, method: PATCH}]
                backendRefs: [{name: v1, port: 80}]
              - matches: [{method: GET}, {headers: [{name: version, value: four}], method: PATCH}]
                backendRefs: [{name: v2, port: 80}]
            """), "method.gateway.test", "/", "200 v2 ");

        foreach (var (method, path, header, expected) in new[]
                 {
                     ("POST", "/", "", "200 v1"), ("GET", "/", "", "200 v2"), ("HEAD", "/", "", "404"), ("PUT", "/", "", "404"),
                     ("PATCH", "/path5", "four", "200 v1"), ("PATCH", "/", "four", "200 v2"),
                 })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            request.Headers.Host = "method.gateway.test";
            if (header.Length > 0)
            {
                request.Headers.Add("version", header);
            }

            using var response = await Edge.Public.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(expected == Backend($"{(int)response.StatusCode} {body}"), $"{method} {path}: expected {expected}");
        }
    }

    /// <summary>HTTPRouteHostnameIntersection and HTTPRouteListenerHostnameMatching: a route serves the hostnames it shares with its listeners; a Gateway wildcard covers any number of labels.</summary>
    [Fact]
    public async Task HttpRoute_Hostnames_IntersectWithTheListenersAndWildcardsCoverSeveralLabels()
    {
        await fixture.AddAsync("intersection.yaml", """
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: intersection, namespace: test}
            spec:
              gatewayClassName: orleans-proxy
              listeners:
              - {name: listener-1, port: 80, protocol: HTTP, hostname: very.specific.test}
              - {name: listener-2, port: 80, protocol: HTTP, hostname: "*.wildcard.test"}
              - {name: listener-3, port: 80, protocol: HTTP, hostname: "*.anotherwildcard.test"}
            ---

            """
            + Route("specific-specific", "[non.matching.test, \"*.nonmatchingwildcard.test\", very.specific.test]", "  - matches: [{path: {value: /s1}}]\n    backendRefs: [{name: v1, port: 80}]", "[{name: intersection}]")
            + Route("specific-wildcard", "[non.matching.test, wildcard.test, foo.wildcard.test, bar.wildcard.test, foo.bar.wildcard.test]", "  - matches: [{path: {value: /s2}}]\n    backendRefs: [{name: v2, port: 80}]", "[{name: intersection}]")
            + Route("wildcard-specific", "[non.matching.test, \"*.specific.test\"]", "  - matches: [{path: {value: /s3}}]\n    backendRefs: [{name: v3, port: 80}]", "[{name: intersection}]")
            + Route("wildcard-wildcard", "[\"*.anotherwildcard.test\"]", "  - matches: [{path: {value: /s4}}]\n    backendRefs: [{name: v1, port: 80}]", "[{name: intersection}]"),
            "foo.bar.wildcard.test", "/s2", "200 v2 ");

        Assert.Equal("200 v1", Backend(await Get("very.specific.test", "/s1")));
        Assert.Equal("200 v1", Backend(await Get("very.specific.test:1234", "/s1")));
        foreach (var host in new[] { "non.matching.test", "foo.nonmatchingwildcard.test", "foo.wildcard.test" })
        {
            Assert.Equal("404", Backend(await Get(host, "/s1")));
        }

        Assert.Equal("200 v2", Backend(await Get("foo.wildcard.test", "/s2")));
        Assert.Equal("200 v2", Backend(await Get("bar.wildcard.test", "/s2")));
        Assert.Equal("404", Backend(await Get("wildcard.test", "/s2")));
        Assert.Equal("200 v3", Backend(await Get("very.specific.test", "/s3")));
        Assert.Equal("404", Backend(await Get("foo.specific.test", "/s3")));
        Assert.Equal("200 v1", Backend(await Get("foo.anotherwildcard.test", "/s4")));
        Assert.Equal("200 v1", Backend(await Get("foo.bar.anotherwildcard.test", "/s4")));
        Assert.Equal("404", Backend(await Get("anotherwildcard.test", "/s4")));
    }

    /// <summary>HTTPRouteCrossNamespace: a Selector listener admits routes from the namespaces it selects.</summary>
    [Fact]
    public async Task HttpRoute_FromASelectedNamespace_Served() =>
        await fixture.AddAsync("cross.yaml", Route("cross", "[shop.backend.test]", "  - backendRefs: [{name: web, port: 80}]", "[{name: backend-namespaces, namespace: test}]", ns: "web"),
            "shop.backend.test", "/", "200 web ");

    /// <summary>HTTPRouteReferenceGrant, HTTPRouteInvalidCrossNamespaceBackendRef, HTTPRoutePartiallyInvalidViaInvalidReferenceGrant.</summary>
    [Fact]
    public async Task HttpRoute_CrossNamespaceBackend_ServedOnlyWhileAReferenceGrantAllowsIt()
    {
        await fixture.AddAsync("grant.yaml", Route("grant", "[grant.gateway.test]", """
              - matches: [{path: {value: /web}}]
                backendRefs: [{name: web, namespace: web, port: 80}]
              - backendRefs: [{name: v1, port: 80}]
            """), "grant.gateway.test", "/web", "500");
        Assert.Equal("200 v1", Backend(await Get("grant.gateway.test", "/")));

        const string grant = """
            apiVersion: gateway.networking.k8s.io/v1beta1
            kind: ReferenceGrant
            metadata: {name: from-test, namespace: web}
            spec:
              from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: test}]
              to: [{group: "", kind: Service, name: web}]
            """;
        await fixture.AddAsync("grant-allow.yaml", grant, "grant.gateway.test", "/web", "200 web ");

        // Revoked: the grant goes, and so does the access.
        File.Delete(Path.Combine(fixture.Routes.Path, "grant-allow.yaml"));
        await Eventually.Until(async () => (await Get("grant.gateway.test", "/web")).StartsWith("500", StringComparison.Ordinal), "the revoked reference answers 500");
    }

    /// <summary>HTTPRouteInvalidNonExistentBackendRef, HTTPRouteInvalidBackendRefUnknownKind, HTTPRouteNoBackendRefs.</summary>
    [Fact]
    public async Task HttpRoute_RulesWithoutAValidBackend_Answer500()
    {
        await fixture.AddAsync("invalid.yaml", Route("invalid", "[invalid.gateway.test]", """
              - matches: [{path: {value: /nonexistent}}]
                backendRefs: [{name: nonexistent, port: 80}]
              - matches: [{path: {value: /unknown-kind}}]
                backendRefs: [{group: unknownkind.example.com, kind: NonExistent, name: x}]
              - matches: [{path: {type: Exact, value: /omitted}}]
              - matches: [{path: {type: Exact, value: /empty}}]
                backendRefs: []
              - backendRefs: [{name: v1, port: 80}]
            """), "invalid.gateway.test", "/forward", "200 v1 ");

        foreach (var path in new[] { "/nonexistent", "/unknown-kind", "/omitted", "/empty" })
        {
            Assert.Equal("500", Backend(await Get("invalid.gateway.test", path)));
        }
    }

    /// <summary>HTTPRouteRequestHeaderModifier: set replaces, add appends, remove deletes; names case-insensitive.</summary>
    [Fact]
    public async Task HttpRoute_RequestHeaderModifier_SetsAddsAndRemovesUpstreamHeaders()
    {
        await fixture.AddAsync("request-headers.yaml", Route("request-headers", "[request-headers.gateway.test]", """
              - filters:
                - type: RequestHeaderModifier
                  requestHeaderModifier:
                    set: [{name: X-Header-Set, value: set-overwrites-values}]
                    add: [{name: X-Header-Add, value: add-appends-values}]
                    remove: [X-Header-Remove]
                backendRefs: [{name: v3, port: 80}]
            """), "request-headers.gateway.test", "/", "200 v3 ");

        await Get("request-headers.gateway.test", "/headers", ("x-header-set", "client"), ("x-header-add", "some-other-value"), ("x-header-remove", "gone"));

        var seen = fixture.V3.SeenHeaders.Last();
        Assert.Equal("set-overwrites-values", seen["X-Header-Set"]);
        Assert.Equal("some-other-value,add-appends-values", seen["X-Header-Add"].Replace(", ", ",", StringComparison.Ordinal));
        Assert.False(seen.ContainsKey("X-Header-Remove"));
    }

    /// <summary>HTTPRouteResponseHeaderModifier.</summary>
    [Fact]
    public async Task HttpRoute_ResponseHeaderModifier_ChangesTheResponseHeaders()
    {
        await fixture.AddAsync("response-headers.yaml", Route("response-headers", "[response-headers.gateway.test]", """
              - filters:
                - type: ResponseHeaderModifier
                  responseHeaderModifier:
                    set: [{name: X-Backend, value: hidden}]
                    add: [{name: X-Lowercase-Add, value: added}]
                    remove: [X-Backend-Protocol]
                backendRefs: [{name: v1, port: 80}]
            """), "response-headers.gateway.test", "/", "200 v1 ");

        using var response = await Edge.GetAsync("response-headers.gateway.test", "/");
        Assert.Equal("hidden", response.Headers.GetValues("X-Backend").Single());
        Assert.Equal("added", response.Headers.GetValues("X-Lowercase-Add").Single());
        Assert.False(response.Headers.Contains("X-Backend-Protocol"));
    }

    /// <summary>HTTPRouteRedirectHostAndStatus, HTTPRouteRedirectPath, HTTPRouteRedirectPort, HTTPRouteRedirectScheme.</summary>
    [Fact]
    public async Task HttpRoute_RequestRedirect_BuildsTheLocationFromEachPart()
    {
        await fixture.AddAsync("redirect.yaml", Route("redirect", "[redirect.gateway.test]", """
              - matches: [{path: {value: /hostname-redirect}}]
                filters: [{type: RequestRedirect, requestRedirect: {hostname: example.org}}]
              - matches: [{path: {value: /host-and-status}}]
                filters: [{type: RequestRedirect, requestRedirect: {hostname: example.org, statusCode: 301}}]
              - matches: [{path: {value: /original-prefix}}]
                filters: [{type: RequestRedirect, requestRedirect: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /replacement-prefix}}}]
              - matches: [{path: {value: /full}}]
                filters: [{type: RequestRedirect, requestRedirect: {path: {type: ReplaceFullPath, replaceFullPath: /full-path-replacement}}}]
              - matches: [{path: {value: /path-and-host}}]
                filters: [{type: RequestRedirect, requestRedirect: {hostname: example.org, path: {type: ReplacePrefixMatch, replacePrefixMatch: /replacement-prefix}}}]
              - matches: [{path: {value: /port}}]
                filters: [{type: RequestRedirect, requestRedirect: {port: 8083}}]
              - matches: [{path: {value: /scheme}}]
                filters: [{type: RequestRedirect, requestRedirect: {scheme: https}}]
              - matches: [{path: {value: /scheme-and-host}}]
                filters: [{type: RequestRedirect, requestRedirect: {scheme: https, hostname: example.org, statusCode: 301}}]
            """), "redirect.gateway.test", "/hostname-redirect", "302");

        foreach (var (path, status, location) in new[]
                 {
                     ("/hostname-redirect", 302, "http://example.org/hostname-redirect"),
                     ("/host-and-status", 301, "http://example.org/host-and-status"),
                     ("/original-prefix/lemon", 302, "http://redirect.gateway.test/replacement-prefix/lemon"),
                     ("/full/path/original", 302, "http://redirect.gateway.test/full-path-replacement"),
                     ("/path-and-host", 302, "http://example.org/replacement-prefix"),
                     ("/port", 302, "http://redirect.gateway.test:8083/port"),
                     ("/scheme", 302, "https://redirect.gateway.test/scheme"),
                     ("/scheme-and-host?q=1", 301, "https://example.org/scheme-and-host?q=1"),
                 })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Host = "redirect.gateway.test";
            using var response = await Edge.Public.SendAsync(request);
            Assert.Equal((status, location), ((int)response.StatusCode, response.Headers.Location?.OriginalString));
        }

        Assert.Equal(0, fixture.V1.RequestsTo("/hostname-redirect"));
    }

    /// <summary>HTTPRouteRewriteHost, HTTPRouteRewritePath.</summary>
    [Fact]
    public async Task HttpRoute_UrlRewrite_ChangesTheHostAndPathTheBackendReceives()
    {
        await fixture.AddAsync("rewrite.yaml", Route("rewrite", "[rewrite.gateway.test]", """
              - matches: [{path: {value: /prefix/one}}]
                filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /one}}}]
                backendRefs: [{name: v1, port: 80}]
              - matches: [{path: {value: /strip-prefix}}]
                filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}}]
                backendRefs: [{name: v1, port: 80}]
              - matches: [{path: {value: /full/one}}]
                filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplaceFullPath, replaceFullPath: /one}}}]
                backendRefs: [{name: v1, port: 80}]
              - matches: [{path: {value: /host}}]
                filters: [{type: URLRewrite, urlRewrite: {hostname: one.example.org}}]
                backendRefs: [{name: v1, port: 80}]
            """), "rewrite.gateway.test", "/prefix/one/two", "200 v1 rewrite.gateway.test /one/two");

        Assert.Equal("200 v1 rewrite.gateway.test /three", await Get("rewrite.gateway.test", "/strip-prefix/three"));
        Assert.Equal("200 v1 rewrite.gateway.test /", await Get("rewrite.gateway.test", "/strip-prefix"));
        Assert.Equal("200 v1 rewrite.gateway.test /one", await Get("rewrite.gateway.test", "/full/one/two"));
        Assert.Equal("200 v1 rewrite.gateway.test /one?x=1", await Get("rewrite.gateway.test", "/full/one/two?x=1"));
        Assert.Equal("200 v1 one.example.org /host/a", await Get("rewrite.gateway.test", "/host/a"));
    }

    /// <summary>HTTPRouteRequestMirror, HTTPRouteRequestMultipleMirrors: the client gets the backend's answer; each mirror gets a copy.</summary>
    [Fact]
    public async Task HttpRoute_RequestMirror_CopiesReachEveryMirror()
    {
        await fixture.AddAsync("mirror.yaml", Route("mirror", "[mirror.gateway.test]", """
              - filters:
                - {type: RequestMirror, requestMirror: {backendRef: {name: v2, port: 80}}}
                - {type: RequestMirror, requestMirror: {backendRef: {name: v3, port: 80}}}
                backendRefs: [{name: v1, port: 80}]
            """), "mirror.gateway.test", "/", "200 v1 ");

        Assert.Equal("200 v1 mirror.gateway.test /multi-mirror", await Get("mirror.gateway.test", "/multi-mirror"));
        await Eventually.Until(() => Task.FromResult(fixture.V2.RequestsTo("/multi-mirror") == 1 && fixture.V3.RequestsTo("/multi-mirror") == 1), "both mirrors got the copy");
    }

    /// <summary>HTTPRouteWeight: 70 / 30 / 0.</summary>
    [Fact]
    public async Task HttpRoute_WeightedBackends_SplitByWeightAndWeightZeroGetsNothing()
    {
        await fixture.AddAsync("weight.yaml", Route("weight", "[weight.gateway.test]", """
              - backendRefs: [{name: v1, port: 80, weight: 70}, {name: v2, port: 80, weight: 30}, {name: v3, port: 80, weight: 0}]
            """), "weight.gateway.test", "/warm", "200 ");

        var counts = new Dictionary<string, int>();
        for (var i = 0; i < 500; i++)
        {
            var backend = Backend(await Get("weight.gateway.test", "/weighted"));
            counts[backend] = counts.GetValueOrDefault(backend) + 1;
        }

        Assert.False(counts.ContainsKey("200 v3"), string.Join(", ", counts));
        Assert.Equal(500, counts.GetValueOrDefault("200 v1") + counts.GetValueOrDefault("200 v2"));
        // 500 draws: the share's standard deviation is 0.02, so 0.1 is five of them.
        Assert.InRange(counts["200 v1"] / 500.0, 0.6, 0.8);
    }

    /// <summary>HTTPRouteHTTPSListener: a route on an HTTPS listener is served over TLS with the listener's certificate, and not over plain HTTP.</summary>
    [Fact]
    public async Task HttpRoute_OnAnHttpsListener_ServedOverTlsOnly()
    {
        await fixture.AddAsync("https.yaml", Route("https", $"[{GatewayApiFixture.CertificateHost}]", "  - backendRefs: [{name: v2, port: 80}]", "[{name: with-https}]"),
            GatewayApiFixture.CertificateHost, "/", "404");

        await Eventually.Until(async () => await TlsTerminationTests.GetAsync(fixture.HttpsPort, GatewayApiFixture.CertificateHost, HttpVersion.Version11) is { Status: HttpStatusCode.OK } answer
            && answer.Certificate == fixture.CertificateThumbprint, "the route is served over TLS with the listener's certificate");
        var https = await TlsTerminationTests.GetAsync(fixture.HttpsPort, GatewayApiFixture.CertificateHost, HttpVersion.Version11);
        Assert.StartsWith("v2 ", https.Body);
        Assert.Equal(fixture.CertificateThumbprint, https.Certificate);
        Assert.Equal("404", Backend(await Get(GatewayApiFixture.CertificateHost, "/")));
    }

    /// <summary>diag explain names the HTTPRoute rule and match that serves, its filters, and the order it won by.</summary>
    [Fact]
    public async Task Explain_HttpRouteRequest_NamesTheRuleMatchAndGatewayApiOrder()
    {
        // A POST is answered by the redirect rule: it shows the routes are served, whatever the split picks for a GET.
        fixture.Routes.Write("explain.yaml", Route("explain", "[explain.gateway.test]", """
              - matches: [{path: {value: /}, method: POST}]
                filters: [{type: RequestRedirect, requestRedirect: {hostname: example.org, statusCode: 301}}]
              - matches: [{path: {value: /}}, {headers: [{type: RegularExpression, name: version, value: "v[0-9]+"}]}]
                backendRefs: [{name: v1, port: 80, weight: 3}, {name: missing, port: 80, weight: 1}]
            """));
        const string ExplainPost = "/diag/explain?host=explain.gateway.test&path=/a&method=POST";
        await Eventually.Until(async () => (await Edge.DiagAsync(ExplainPost)).GetProperty("matched").GetBoolean(), "the explain routes are served");

        var post = await Edge.DiagAsync(ExplainPost);
        Assert.Equal("HTTPRoute test/explain spec.rules[0].matches[0]", post.GetProperty("route").GetProperty("rule").GetString());
        Assert.Equal("POST", post.GetProperty("route").GetProperty("method").GetString());
        Assert.StartsWith("RequestRedirect 301", post.GetProperty("route").GetProperty("filters")[0].GetString());
        Assert.Contains("Gateway API's order", post.GetProperty("why")[0].GetString());
        Assert.Equal("its RequestRedirect filter answers 301: nothing is forwarded", post.GetProperty("why")[1].GetString());

        var byHeader = await Edge.DiagAsync("/diag/explain?host=explain.gateway.test&path=/a&header=Version:v2");
        Assert.Equal("HTTPRoute test/explain spec.rules[1].matches[1]", byHeader.GetProperty("route").GetProperty("rule").GetString());
        Assert.Equal("test/v1:80 3, invalid (500) 1", byHeader.GetProperty("why")[1].GetString()!.Split(": ")[1].Split(';')[0]);
    }

    /// <summary>Issue 15: caching switched on for an HTTPRoute with the same annotation as on an Ingress.</summary>
    [Fact]
    public async Task HttpRoute_CacheAnnotation_SecondRequestIsAHit()
    {
        await fixture.AddAsync("cached.yaml", Route("cached", "[cached.gateway.test]", "  - backendRefs: [{name: v3, port: 80}]",
            annotations: "{orleans-proxy.io/cache: \"true\", orleans-proxy.io/cache-default-ttl: 60s}"), "cached.gateway.test", "/warm", "200 v3 ");

        using var first = await Edge.GetAsync("cached.gateway.test", "/object");
        using var second = await Edge.GetAsync("cached.gateway.test", "/object");

        Assert.Equal("MISS", first.Headers.GetValues("X-Cache").Single());
        Assert.Equal("HIT", second.Headers.GetValues("X-Cache").Single());
        Assert.Equal(1, fixture.V3.RequestsTo("/object"));
    }
}
