using Orleans.Proxy.Edge.Hosting;

var builder = WebApplication.CreateBuilder(EdgeArguments.Normalize(args));
builder.AddOrleansProxyEdge();
var app = builder.Build();
app.MapOrleansProxyEdge();
app.Run();
