using System.IO.Hashing;
using System.Text;
using Orleans.Core.Internal;
using Orleans.Proxy.Affinity;
using Orleans.Proxy.Routing;
using Orleans.Proxy.IntegrationTests.Infrastructure;
using Xunit.Abstractions;
using static Orleans.Proxy.IntegrationTests.Health.HealthTestSetup;

namespace Orleans.Proxy.IntegrationTests.Affinity;

/// <summary>Sticky sessions through several real edges sharing one affinity map.</summary>
public sealed class AffinityClusterTests(ITestOutputHelper output)
{
    /// <summary>Generous, so that every pin in these tests comes from the grain (the fallback is tested apart).</summary>
    // A lookup that times out falls back to the hash (documented); these tests are about the pins, so
    // the timeout is far above any grain call on a loaded test machine.
    private static readonly Dictionary<string, string?> PatientLookups = new() { ["Affinity:LookupTimeout"] = "00:00:05" };

    private static Dictionary<string, string> HeaderAffinity(bool probes)
    {
        var annotations = probes ? FastProbes() : [];
        annotations["orleans-proxy.io/affinity"] = "header:X-User";
        return annotations;
    }

    [Fact]
    public async Task SameKey_ThroughThreeEdges_SameDestination_AndMovesTogetherWhenItDies()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var c = await TestBackend.StartAsync("c");
        var backends = new[] { a, b, c };
        await using var cluster = await ProxyTestCluster.StartAsync(silos: 2);
        var edges = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => cluster.StartEdgeAsync(PatientLookups)));
        await cluster.PublishAsync(Routes(HeaderAffinity(probes: true), a, b, c));
        foreach (var edge in edges)
        {
            await Eventually.Until(async () => await DestinationCountOnAsync(edge) == 3, "the edge serves the backend");
        }

        var users = Enumerable.Range(0, 30).Select(i => $"user-{i}").ToList();
        var before = await PlacementAsync(edges, users);
        Assert.True(before.Values.Distinct().Count() > 1, "30 keys spread over more than one destination");

        var victim = backends.Single(x => x.Name == before["user-0"]);
        await victim.DisposeAsync();
        foreach (var edge in edges)
        {
            await Eventually.Until(async () => (await UnavailableOnAsync(edge)).Contains(victim.Endpoint), "every edge holds the verdict that the destination is down");
        }

        var after = await PlacementAsync(edges, users);
        var survivors = backends.Where(x => x != victim).ToList();
        foreach (var user in users)
        {
            if (before[user] == victim.Name)
            {
                // Moved, by the grain, to the rendezvous choice among the survivors: the same for every edge.
                var expected = RendezvousHash.Pick(user, survivors.Select(s => s.Endpoint));
                Assert.Equal(survivors.Single(s => s.Endpoint == expected).Name, after[user]);
            }
            else
            {
                Assert.Equal(before[user], after[user]);
            }
        }

        foreach (var edge in edges)
        {
            output.WriteLine($"affinity on an edge: {await edge.DiagAsync("/diag/affinity")}");
        }
    }

    [Fact]
    public async Task ScaleOut_ThreeToFourDestinations_NoLiveKeyMoves()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var c = await TestBackend.StartAsync("c");
        await using var d = await TestBackend.StartAsync("d");
        await using var cluster = await ProxyTestCluster.StartAsync(silos: 2);
        var first = await cluster.StartEdgeAsync(PatientLookups);
        await cluster.PublishAsync(Routes(HeaderAffinity(probes: false), a, b, c));
        await Eventually.Until(async () => await DestinationCountOnAsync(first) == 3, "the edge serves three destinations");

        var keys = Enumerable.Range(0, 1000).Select(i => $"session-{i}").ToList();
        var before = await PlacementAsync([first], keys);
        // A lookup that fell back (reasons in the diagnostics) is offered to its grain on the next one:
        // it does not make the key movable, so the test holds either way and says how the keys were placed.
        output.WriteLine($"first placement: {await first.DiagAsync("/diag/affinity")}");

        await cluster.PublishAsync(Routes(HeaderAffinity(probes: false), a, b, c, d));
        await Eventually.Until(async () => await DestinationCountOnAsync(first) == 4, "the edge serves four destinations");
        // A new edge has an empty cache: every one of its answers comes from the affinity grains.
        var second = await cluster.StartEdgeAsync(PatientLookups);
        await Eventually.Until(async () => await DestinationCountOnAsync(second) == 4, "the new edge serves four destinations");

        var afterFirst = await PlacementAsync([first], keys);
        var afterSecond = await PlacementAsync([second], keys);
        var moved = keys.Count(k => afterFirst[k] != before[k] || afterSecond[k] != before[k]);

        var three = new[] { a, b, c }.Select(x => x.Endpoint).ToList();
        var four = new[] { a, b, c, d }.Select(x => x.Endpoint).ToList();
        var rendezvousMoved = keys.Count(k => RendezvousHash.Pick(k, three) != RendezvousHash.Pick(k, four));
        var moduloMoved = keys.Count(k => Modulo(k, 3) != Modulo(k, 4));
        output.WriteLine($"3 -> 4 destinations, {keys.Count} live keys: pinned by affinity grains {moved} moved; " +
            $"a plain consistent (rendezvous) hash would move {rendezvousMoved}; a modulo hash would move {moduloMoved}");

        Assert.Equal(0, moved);
        Assert.InRange(rendezvousMoved, 150, 350);

        // New keys do use the new destination.
        var fresh = await PlacementAsync([second], Enumerable.Range(0, 100).Select(i => $"new-{i}").ToList());
        Assert.Contains("d", fresh.Values);
    }

    [Fact]
    public async Task BackendGrainLost_NewKeysPinnedWhereTheEdgeSentThem_NoneMoveOnScaleOut()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var c = await TestBackend.StartAsync("c");
        await using var d = await TestBackend.StartAsync("d");
        await using var cluster = await ProxyTestCluster.StartAsync(silos: 1);
        var first = await cluster.StartEdgeAsync(PatientLookups);
        await cluster.PublishAsync(Routes(HeaderAffinity(probes: false), a, b, c));
        await Eventually.Until(async () => await DestinationCountOnAsync(first) == 3, "the edge serves three destinations");

        // The backend grain loses its state (as with its silo) and the route source has not rewritten it yet:
        // affinity grains asked now cannot know the destinations, the edge does.
        var backend = cluster.Client.GetGrain<IBackendGrain>(ClusterId);
        var deactivated = cluster.Cluster.WaitForDeactivationAsync(backend);
        await backend.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        await deactivated;
        var keys = Enumerable.Range(0, 200).Select(i => $"during-{i}").ToList();
        var before = await PlacementAsync([first], keys);
        Assert.True((await cluster.Client.GetGrain<IBackendGrain>(ClusterId).GetBackend()).Destinations.IsEmpty, "the backend grain was still empty while the keys were placed");

        await cluster.PublishAsync(Routes(HeaderAffinity(probes: false), a, b, c, d), rewriteAll: true);
        var second = await cluster.StartEdgeAsync(PatientLookups);
        await Eventually.Until(async () => await DestinationCountOnAsync(second) == 4, "the new edge serves four destinations");

        var after = await PlacementAsync([second], keys);
        var three = new[] { a, b, c }.Select(x => x.Endpoint).ToList();
        var four = new[] { a, b, c, d }.Select(x => x.Endpoint).ToList();
        var unpinnedWouldMove = keys.Count(k => RendezvousHash.Pick(k, three) != RendezvousHash.Pick(k, four));
        output.WriteLine($"{unpinnedWouldMove} of {keys.Count} keys would move had they not been pinned; {await first.DiagAsync("/diag/affinity")}");
        Assert.True(unpinnedWouldMove > 0);
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task KillSilo_HoldingAffinityPins_NoSessionMoves()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var c = await TestBackend.StartAsync("c");
        await using var cluster = await ProxyTestCluster.StartAsync(silos: 2);
        var first = await cluster.StartEdgeAsync();
        await cluster.PublishAsync(Routes(HeaderAffinity(probes: false), a, b, c));
        await Eventually.Until(async () => await DestinationCountOnAsync(first) == 3, "the edge serves the backend");
        var users = Enumerable.Range(0, 60).Select(i => $"user-{i}").ToList();
        var before = await PlacementAsync([first], users);

        var victim = await cluster.SiloHostingAsync(cluster.Client.GetGrain<IAffinityGrain>(IAffinityGrain.Key(ClusterId, "user-0")));
        await cluster.Cluster.KillSiloAsync(victim);

        // Default lookup timeout (50 ms): while the cluster notices the dead silo, lookups time out and the
        // rendezvous fallback answers, which must agree too. A new edge (empty cache) asks the grains: the lost ones re-activate empty and pin the rendezvous
        // choice, which is where a key was first placed, so nothing scatters. The old edge serves from its cache.
        var second = await cluster.StartEdgeAsync();
        await Eventually.Until(async () =>
        {
            // The route source's resync after a silo loss, rewriting whatever routing grains were lost.
            await cluster.PublishAsync(Routes(HeaderAffinity(probes: false), a, b, c), rewriteAll: true);
            return (await second.GetBodyAsync(AppHost, "/")).StartsWith("200 ", StringComparison.Ordinal);
        }, "the new edge serves the backend");
        var after = await PlacementAsync([first, second], users);
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task SilosGone_EdgesKeepCachedPinsAndAgreeOnNewKeysByRendezvousHash()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var c = await TestBackend.StartAsync("c");
        await using var cluster = await ProxyTestCluster.StartAsync(silos: 1);
        var edges = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => cluster.StartEdgeAsync()));
        await cluster.PublishAsync(Routes(HeaderAffinity(probes: false), a, b, c));
        foreach (var edge in edges)
        {
            await Eventually.Until(async () => await DestinationCountOnAsync(edge) == 3, "the edge serves the backend");
        }

        var known = Enumerable.Range(0, 20).Select(i => $"known-{i}").ToList();
        var before = await PlacementAsync(edges, known);

        await cluster.Cluster.StopAllSilosAsync();

        Assert.Equal(before, await PlacementAsync(edges, known));
        var fresh = Enumerable.Range(0, 20).Select(i => $"fresh-{i}").ToList();
        var placed = await PlacementAsync(edges, fresh);
        var byEndpoint = new[] { a, b, c }.ToDictionary(x => x.Endpoint, x => x.Name);
        Assert.All(fresh, key => Assert.Equal(byEndpoint[RendezvousHash.Pick(key, byEndpoint.Keys)!], placed[key]));
        foreach (var edge in edges)
        {
            Assert.True((await edge.DiagAsync("/diag/affinity")).GetProperty("fallbacks").GetInt64() >= fresh.Count);
        }
    }

    [Fact]
    public async Task FullCache_KeysBeyondIt_RendezvousHashWithoutGrainCalls()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var cluster = await ProxyTestCluster.StartAsync(silos: 1);
        var edge = await cluster.StartEdgeAsync(new Dictionary<string, string?>(PatientLookups) { ["Affinity:MaxEntries"] = "5" });
        await cluster.PublishAsync(Routes(HeaderAffinity(probes: false), a, b));
        await Eventually.Until(async () => await DestinationCountOnAsync(edge) == 2, "the edge serves the backend");

        var keys = Enumerable.Range(0, 20).Select(i => $"k-{i}").ToList();
        var first = await PlacementAsync([edge], keys);
        var lookups = (await edge.DiagAsync("/diag/affinity")).GetProperty("grainLookups").GetInt64();

        // Served again: the cached keys from the cache, the others from the hash; no grain call either way.
        Assert.Equal(first, await PlacementAsync([edge], keys));
        var affinity = await edge.DiagAsync("/diag/affinity");
        Assert.Equal(5, affinity.GetProperty("cachedKeys").GetInt32());
        Assert.Equal(lookups, affinity.GetProperty("grainLookups").GetInt64());
        var byEndpoint = new[] { a, b }.ToDictionary(x => x.Endpoint, x => x.Name);
        Assert.All(keys, key => Assert.Equal(byEndpoint[RendezvousHash.Pick(key, byEndpoint.Keys)!], first[key]));
    }

    [Fact]
    public async Task ClientIpAffinity_SameClientAddress_SameDestinationThroughEveryEdge()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var cluster = await ProxyTestCluster.StartAsync(silos: 1);
        var edges = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => cluster.StartEdgeAsync(PatientLookups)));
        // A forwarded-for header from a peer that is not a trusted proxy must not change the key: the socket address counts.
        await cluster.PublishAsync(Routes(new Dictionary<string, string> { ["nginx.ingress.kubernetes.io/upstream-hash-by"] = "$remote_addr" }, a, b));
        await Eventually.Until(async () => await DestinationCountOnAsync(edges[1]) == 2, "the edges serve the backend");

        var byEndpoint = new[] { a, b }.ToDictionary(x => x.Endpoint, x => x.Name);
        var expected = byEndpoint[RendezvousHash.Pick("127.0.0.1", byEndpoint.Keys)!];
        foreach (var edge in edges)
        {
            for (var i = 0; i < 5; i++)
            {
                Assert.Equal(expected, await BackendFor(edge, ("X-Forwarded-For", $"203.0.113.{i}")));
            }
        }
    }

    [Fact]
    public async Task ClientIpAffinity_BehindTrustedProxy_EachForwardedClientHasItsOwnPin()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var cluster = await ProxyTestCluster.StartAsync(silos: 1);
        // The test client plays the load balancer: its loopback address is trusted to forward.
        var edge = await cluster.StartEdgeAsync(new Dictionary<string, string?>(PatientLookups) { ["RateLimiting:TrustedProxies:0"] = "127.0.0.1" });
        await cluster.PublishAsync(Routes(new Dictionary<string, string> { ["nginx.ingress.kubernetes.io/upstream-hash-by"] = "$remote_addr" }, a, b));
        await Eventually.Until(async () => await DestinationCountOnAsync(edge) == 2, "the edge serves the backend");

        var byEndpoint = new[] { a, b }.ToDictionary(x => x.Endpoint, x => x.Name);
        var clients = Enumerable.Range(1, 20).Select(i => $"203.0.113.{i}").ToList();
        foreach (var client in clients)
        {
            Assert.Equal(byEndpoint[RendezvousHash.Pick(client, byEndpoint.Keys)!], await BackendFor(edge, ("X-Forwarded-For", client)));
        }

        // One pin per client behind the proxy, none for the proxy's own address.
        foreach (var client in clients)
        {
            var pin = await cluster.Client.GetGrain<IAffinityGrain>(IAffinityGrain.Key(ClusterId, client)).Peek();
            Assert.Equal(byEndpoint[RendezvousHash.Pick(client, byEndpoint.Keys)!], byEndpoint[pin.DestinationId!]);
        }

        Assert.Null((await cluster.Client.GetGrain<IAffinityGrain>(IAffinityGrain.Key(ClusterId, "127.0.0.1")).Peek()).DestinationId);
    }

    [Fact]
    public async Task SlidingTtl_KeyInUseOutlivesTtl_IdleKeyIsForgotten()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var c = await TestBackend.StartAsync("c");
        await using var d = await TestBackend.StartAsync("d");
        await using var cluster = await ProxyTestCluster.StartAsync(silos: 1);
        var first = await cluster.StartEdgeAsync(PatientLookups);
        var ttl = TimeSpan.FromSeconds(4);
        var annotations = HeaderAffinity(probes: false);
        annotations["orleans-proxy.io/affinity-ttl"] = "4s";
        await cluster.PublishAsync(Routes(annotations, a, b, c));
        await Eventually.Until(async () => await DestinationCountOnAsync(first) == 3, "the edge serves three destinations");

        // Keys that a fourth destination would take: only their pins keep them where they are.
        var four = new[] { a, b, c, d }.ToDictionary(x => x.Endpoint, x => x.Name);
        var keys = Enumerable.Range(0, 200).Select(i => $"s-{i}").Where(k => four[RendezvousHash.Pick(k, four.Keys)!] == "d").Take(6).ToList();
        var (used, idle) = (keys.Take(3).ToList(), keys.Skip(3).ToList());
        var before = await PlacementAsync([first], keys);
        await cluster.PublishAsync(Routes(annotations, a, b, c, d));
        await Eventually.Until(async () => await DestinationCountOnAsync(first) == 4, "the edge serves four destinations");
        // The edge that asks at the end, started now so that its start-up does not eat into the TTL.
        var second = await cluster.StartEdgeAsync(PatientLookups);
        await Eventually.Until(async () => await DestinationCountOnAsync(second) == 4, "the new edge serves four destinations");

        // The used keys go through the first edge (its cache refreshes their grains' TTL) until the idle
        // ones, pinned at the same moment, have been idle past the TTL by their grains' own clock.
        await Eventually.Until(async () =>
        {
            Assert.Equal(used.Select(k => before[k]), await Task.WhenAll(used.Select(k => BackendFor(first, ("X-User", k)))));
            var peeks = await Task.WhenAll(idle.Select(k => cluster.Client.GetGrain<IAffinityGrain>(IAffinityGrain.Key(ClusterId, k)).Peek()));
            return peeks.All(p => p.LastUsed is not { } lastUsed || DateTimeOffset.UtcNow - lastUsed > ttl);
        }, "the idle keys have not been used for longer than the TTL", TimeSpan.FromMinutes(1));

        var after = await PlacementAsync([second], keys);
        Assert.All(used, k => Assert.Equal(before[k], after[k]));
        Assert.All(idle, k => Assert.Equal("d", after[k]));
    }

    [Fact]
    public async Task CookieAffinity_FirstAnswerSetsCookie_LaterRequestsStick()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var cluster = await ProxyTestCluster.StartAsync(silos: 1);
        var edges = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => cluster.StartEdgeAsync(PatientLookups)));
        var annotations = new Dictionary<string, string>
        {
            ["nginx.ingress.kubernetes.io/affinity"] = "cookie",
            ["nginx.ingress.kubernetes.io/session-cookie-name"] = "route",
            ["nginx.ingress.kubernetes.io/session-cookie-max-age"] = "3600",
        };
        await cluster.PublishAsync(Routes(annotations, a, b));
        await Eventually.Until(async () => await DestinationCountOnAsync(edges[1]) == 2, "the edges serve the backend");
        var cookies = new List<string>();

        // A client without a cookie jar: each new "browser" gets its own cookie, and sends only what the test sets.
        using var browser = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = edges[0].Public.BaseAddress };
        using (var oneShot = new HttpRequestMessage(HttpMethod.Get, "/"))
        {
            oneShot.Headers.Host = AppHost;
            using var response = await browser.SendAsync(oneShot);
            cookies.Add(response.Headers.GetValues("Set-Cookie").Single().Split(';')[0]);
        }

        var pinnedAt = new List<(string Key, string Endpoint)>();
        for (var i = 0; i < 6; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/");
            request.Headers.Host = AppHost;
            using var response = await browser.SendAsync(request);
            var setCookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
            Assert.StartsWith("route=", setCookie, StringComparison.Ordinal);
            Assert.Contains("max-age=3600", setCookie, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
            var cookie = setCookie.Split(';')[0];
            var first = response.Headers.GetValues("X-Backend").Single();
            foreach (var edge in edges)
            {
                for (var j = 0; j < 3; j++)
                {
                    using var again = new HttpRequestMessage(HttpMethod.Get, edge.Public.BaseAddress + "x");
                    again.Headers.Host = AppHost;
                    again.Headers.Add("Cookie", cookie);
                    using var answer = await browser.SendAsync(again);
                    Assert.Equal(first, answer.Headers.GetValues("X-Backend").Single());
                    Assert.False(answer.Headers.Contains("Set-Cookie"), "a client that has the cookie gets no new one");
                }
            }

            cookies.Add(cookie);
            pinnedAt.Add((cookie["route=".Length..], new[] { a, b }.Single(x => x.Name == first).Endpoint));
        }

        Assert.Equal(cookies.Count, cookies.Distinct().Count());
        // A returning client's key is pinned in its grain where its requests went (told by the edge's sweep);
        // the client that never came back cost no grain state.
        foreach (var (key, endpoint) in pinnedAt)
        {
            await Eventually.Until(async () => (await PeekAsync(cluster, key)).DestinationId == endpoint, "the returning client's key is pinned in its grain");
        }

        Assert.Null((await PeekAsync(cluster, cookies[0]["route=".Length..])).DestinationId);
    }

    [Fact]
    public async Task CookieIssued_DestinationsAddedBeforeTheClientReturns_BackOnItsFirstDestinationThroughAnyEdge()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var c = await TestBackend.StartAsync("c");
        await using var cluster = await ProxyTestCluster.StartAsync(silos: 1);
        var first = await cluster.StartEdgeAsync(PatientLookups);
        var annotations = new Dictionary<string, string> { ["nginx.ingress.kubernetes.io/affinity"] = "cookie" };
        await cluster.PublishAsync(Routes(annotations, a, b));
        await Eventually.Until(async () => await DestinationCountOnAsync(first) == 2, "the edge serves two destinations");

        // Forty new clients, each answered once; nothing is asked of the affinity grains yet.
        using var browser = new HttpClient(new SocketsHttpHandler { UseCookies = false });
        var sessions = new List<(string Cookie, string Backend)>();
        for (var i = 0; i < 40; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, first.Public.BaseAddress);
            request.Headers.Host = AppHost;
            using var response = await browser.SendAsync(request);
            sessions.Add((response.Headers.GetValues("Set-Cookie").Single().Split(';')[0], response.Headers.GetValues("X-Backend").Single()));
        }

        Assert.Equal(0, (await first.DiagAsync("/diag/affinity")).GetProperty("grainLookups").GetInt64());

        await cluster.PublishAsync(Routes(annotations, a, b, c));
        var second = await cluster.StartEdgeAsync(PatientLookups);
        await Eventually.Until(async () => await DestinationCountOnAsync(first) == 3 && await DestinationCountOnAsync(second) == 3, "both edges serve three destinations");
        foreach (var edge in new[] { second, first })
        {
            foreach (var (cookie, backend) in sessions)
            {
                using var again = new HttpRequestMessage(HttpMethod.Get, edge.Public.BaseAddress);
                again.Headers.Host = AppHost;
                again.Headers.Add("Cookie", cookie);
                using var answer = await browser.SendAsync(again);
                Assert.Equal(backend, answer.Headers.GetValues("X-Backend").Single());
            }
        }
    }

    private static Task<AffinityPeek> PeekAsync(ProxyTestCluster cluster, string key) =>
        cluster.Client.GetGrain<IAffinityGrain>(IAffinityGrain.Key(ClusterId, key)).Peek();

    /// <summary>Key to backend name, checking that every edge answers the same.</summary>
    private static async Task<Dictionary<string, string>> PlacementAsync(IReadOnlyList<TestEdge> edges, IReadOnlyList<string> keys)
    {
        var placement = new System.Collections.Concurrent.ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (key, _) =>
        {
            var names = new List<string>();
            foreach (var edge in edges)
            {
                names.Add(await BackendFor(edge, ("X-User", key)));
            }

            Assert.True(names.Distinct().Count() == 1, $"key {key} went to {string.Join(", ", names)} through the {edges.Count} edges");
            placement[key] = names[0];
        });
        return new Dictionary<string, string>(placement, StringComparer.Ordinal);
    }

    private static ulong Modulo(string key, int destinations) => XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(key)) % (ulong)destinations;
}
