using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Proxy.Edge.HttpRoutes;
using Orleans.Proxy.Edge.Matching;
using Orleans.Proxy.Edge.Routing;
using Orleans.Proxy.Routing;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Orleans.Proxy.UnitTests.HttpRoutes;

/// <summary>Header filters and the URLRewrite, through the transformer YARP builds for the route (no sockets).</summary>
public sealed class HttpRouteTransformProviderTests
{
    private static RouteSpec Route(HttpRouteRule rule) =>
        new("ns/web#0.0", "gw.test", "/foo", PathMatchKind.Prefix, [], [], "ns/web:80", "HTTPRoute ns/web") { HttpRoute = rule };

    private static HttpTransformer Transformer(RouteSpec route)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddReverseProxy();
        services.AddSingleton<ITransformProvider, ForwardedPathTransformProvider>();
        services.AddSingleton<ITransformProvider, HttpRouteTransformProvider>();
        return services.BuildServiceProvider().GetRequiredService<ITransformBuilder>().Build(YarpConfigBuilder.ToRoute(route), null);
    }

    private static DefaultHttpContext Request(RouteSpec route, string path = "/foo/bar")
    {
        var context = new DefaultHttpContext();
        context.Request.Method = HttpMethods.Get;
        context.Request.Scheme = "http";
        context.Request.Host = new HostString("gw.test");
        context.Request.Path = path;
        context.Request.QueryString = new QueryString("?q=1");
        context.Features.Set(new RouteMatchFeature(new CompiledRoute(route, proxyRouteId: null, new MatchingOptions()), new Endpoint(null, null, null), path, path));
        return context;
    }

    private static async Task<HttpRequestMessage> ForwardAsync(RouteSpec route, DefaultHttpContext context)
    {
        var message = new HttpRequestMessage();
        await Transformer(route).TransformRequestAsync(context, message, "http://10.0.0.1:8080/", CancellationToken.None);
        return message;
    }

    [Fact]
    public async Task TransformRequest_RequestHeaderModifier_SetReplacesAddAppendsRemoveDeletes()
    {
        var route = Route(new HttpRouteRule
        {
            RequestHeaders = new HeaderModifier(
                [new HeaderValue("x-set", "new"), new HeaderValue("X-Absent", "set")],
                [new HeaderValue("X-ADD", "two"), new HeaderValue("X-New", "added")],
                ["x-remove"]),
        });
        var context = Request(route);
        context.Request.Headers["X-Set"] = "old";
        context.Request.Headers["X-Add"] = "one";
        context.Request.Headers["X-Remove"] = "gone";
        context.Request.Headers["X-Other"] = "kept";

        var forwarded = await ForwardAsync(route, context);

        Assert.Equal(["new"], forwarded.Headers.GetValues("X-Set"));
        Assert.Equal(["set"], forwarded.Headers.GetValues("X-Absent"));
        Assert.Equal(["one", "two"], forwarded.Headers.GetValues("X-Add"));
        Assert.Equal(["added"], forwarded.Headers.GetValues("X-New"));
        Assert.False(forwarded.Headers.Contains("X-Remove"));
        Assert.Equal(["kept"], forwarded.Headers.GetValues("X-Other"));
    }

    [Fact]
    public async Task TransformRequest_UrlRewrite_HostnameAndPrefixReplacedQueryKept()
    {
        var route = Route(new HttpRouteRule { Rewrite = new RewriteSpec("backend.internal", new PathModifier(PathModifierKind.ReplacePrefixMatch, "/v2")) });

        var forwarded = await ForwardAsync(route, Request(route));

        Assert.Equal("backend.internal", forwarded.Headers.Host);
        Assert.Equal("http://10.0.0.1:8080/v2/bar?q=1", forwarded.RequestUri!.OriginalString);
    }

    [Fact]
    public async Task TransformRequest_NoRewrite_ClientsHostAndPath()
    {
        var route = Route(new HttpRouteRule { RequestHeaders = new HeaderModifier([new HeaderValue("X", "1")], [], []) });

        var forwarded = await ForwardAsync(route, Request(route));

        Assert.Equal("gw.test", forwarded.Headers.Host);
        Assert.Equal("http://10.0.0.1:8080/foo/bar?q=1", forwarded.RequestUri!.OriginalString);
    }

    [Fact]
    public async Task TransformResponse_ResponseHeaderModifier_AppliedToTheClientsResponse()
    {
        var route = Route(new HttpRouteRule { ResponseHeaders = new HeaderModifier([new HeaderValue("X-Set", "new")], [new HeaderValue("x-add", "two")], ["Server"]) });
        var context = Request(route);
        var upstream = new HttpResponseMessage(System.Net.HttpStatusCode.OK);
        upstream.Headers.TryAddWithoutValidation("X-Set", "old");
        upstream.Headers.TryAddWithoutValidation("X-Add", "one");
        upstream.Headers.TryAddWithoutValidation("Server", "backend");

        await Transformer(route).TransformResponseAsync(context, upstream, CancellationToken.None);

        Assert.Equal("new", context.Response.Headers["X-Set"]);
        Assert.Equal("one,two", context.Response.Headers["X-Add"].ToString());
        Assert.False(context.Response.Headers.ContainsKey("Server"));
    }
}
