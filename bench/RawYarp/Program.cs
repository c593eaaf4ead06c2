using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Transforms;

// A minimal YARP proxy: one route (host + catch-all path, original Host header, as the edge builds
// them) to one destination. Usage: RawYarp --urls http://127.0.0.1:PORT --Backend http://127.0.0.1:PORT --Host bench.local
var builder = WebApplication.CreateBuilder(args);
var backend = builder.Configuration["Backend"] ?? throw new InvalidOperationException("--Backend http://host:port is required");
var host = builder.Configuration["Host"] ?? "bench.local";
RouteConfig[] routes =
[
    new RouteConfig
    {
        RouteId = "bench",
        ClusterId = "bench",
        Match = new RouteMatch { Hosts = [host], Path = "/{**catch-all}" },
    }.WithTransformUseOriginalHostHeader(),
];
ClusterConfig[] clusters =
[
    new ClusterConfig
    {
        ClusterId = "bench",
        Destinations = new Dictionary<string, DestinationConfig>(StringComparer.Ordinal) { ["backend"] = new() { Address = backend } },
    },
];
builder.Services.AddReverseProxy().LoadFromMemory(routes, clusters);
var app = builder.Build();
app.MapReverseProxy();
app.Run();
